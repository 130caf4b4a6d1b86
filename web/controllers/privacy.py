"""Personal data on the customer's page (sensitive fields masked, reveal, consents, data-subject
export, erasure) and the retention rule's page. Every rule is in app.privacy; this module parses
the browser's input and renders the answer."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.response import File, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_EDIT, CUSTOMERS_REVEAL
from app.customers import service as customers
from app.domain import Actor, PermissionDenied, ValidationFailed
from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.kit.enums import N_
from app.privacy import consents, erasure, sensitive, subject_export
from app.privacy.entity import PRIVACY_MANAGE
from app.privacy.fields import ConsentChannel, ConsentPurpose
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, page

# The privacy codes' messages (the services' English texts are the fallback for the rest).
ERRORS = {
    "invalid_id_number": N_("Enter the 18-character ID card number (17 digits and a digit or X)."),
    "invalid_id_checksum": N_("This ID card number fails its check character: a digit is mistyped."),
    "invalid_bank_card": N_("Enter the bank card number: 12 to 19 digits."),
    "invalid_bank_card_checksum": N_("This bank card number fails the Luhn check: a digit is mistyped."),
    "consent_required": N_("Record the customer's consent to sensitive personal data first."),
    "already_given": N_("This consent is already in force; withdraw it first."),
    "not_given": N_("No consent for this purpose is in force."),
    "open_orders": N_("This customer has open orders; complete or cancel them before erasing."),
    "already_erased": N_("This customer was already erased."),
    "no_value": N_("Nothing is stored in this field."),
}


def _messages(exc: ValidationFailed) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in exc.errors:
        text = _(ERRORS[e.code]) if e.code in ERRORS else error_text(e.code, e.message)
        if e.code == "open_orders":
            text += " " + e.message.split("(", 1)[-1].split(")", 1)[0]
        found.setdefault(e.field, text)
    return found


async def _section(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    customer = await customers.get_customer(session, actor, customer_id)
    can_manage = actor.can(PRIVACY_MANAGE)
    ctx = page(
        request,
        actor,
        customer=customer,
        values=await sensitive.masked_values(session, actor, "customer", customer_id),
        consents=await consents.consents_of(session, actor, customer_id),
        exports=await subject_export.exports_of(session, actor, customer_id) if can_manage else [],
        erased=await erasure.is_erased(session, customer_id),
        purposes=[(m.value, _(m.label)) for m in ConsentPurpose],
        channels=[(m.value, _(m.label)) for m in ConsentChannel],
        purpose_label={m.value: _(m.label) for m in ConsentPurpose},
        channel_label={m.value: _(m.label) for m in ConsentChannel},
        can_edit=actor.can(CUSTOMERS_EDIT) and customer.deleted_at is None,
        can_reveal=actor.can(CUSTOMERS_REVEAL),
        can_manage=can_manage,
        errors=errors or {},
        notice=notice,
        form=form or {},
    )
    return Template("privacy/_section.html", context=ctx, status_code=status)


class PrivacyController(Controller):
    path = "/customers/{customer_id:uuid}/privacy"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="CustomerPrivacySection", name="privacy.section")
    async def section(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template:
        """The personal-data card (loaded into the customer's page)."""
        return await _section(request, db_session, actor, customer_id)

    async def _run(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        verb: Any,
        notice: str,
        form: dict[str, Any] | None = None,
    ) -> Template:
        try:
            await verb
        except ValidationFailed as exc:
            await session.rollback()
            return await _section(
                request, session, actor, customer_id, errors=_messages(exc), form=form, status=422
            )
        return await _section(request, session, actor, customer_id, notice=notice)

    @post("/sensitive", operation_id="SaveSensitiveData", name="privacy.sensitive")
    async def save_sensitive(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template:
        """Set the ID card and bank card numbers (blank leaves a stored one; "clear" boxes remove it)."""
        values: dict[str, Any] = {}
        for name in ("id_card", "bank_card"):
            given = (data.get(name) or "").strip()
            if given:
                values[name] = given
            elif data.get(f"clear_{name}") == "1":
                values[name] = None
        verb = sensitive.save_sensitive(db_session, actor, "customer", customer_id, values)
        return await self._run(request, db_session, actor, customer_id, verb, _("Saved."), dict(data))

    @post("/reveal", operation_id="RevealSensitiveData", name="privacy.reveal")
    async def reveal(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template:
        """The full value in place of the masked one (audited)."""
        field = str(data.get("field") or "")
        try:
            value = await sensitive.reveal(db_session, actor, "customer", customer_id, field)
        except ValidationFailed as exc:
            await db_session.rollback()
            return Template("privacy/_revealed.html", context={"value": None, "problem": _messages(exc)})
        return Template("privacy/_revealed.html", context={"value": value, "problem": None})

    @post("/consents", operation_id="RecordConsent", name="privacy.record_consent")
    async def record_consent(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template:
        """Record a consent (purpose, channel, policy version)."""
        verb = consents.record_consent(
            db_session,
            actor,
            customer_id,
            data.get("purpose"),
            data.get("channel"),
            data.get("policy_version"),
        )
        return await self._run(
            request, db_session, actor, customer_id, verb, _("Consent recorded."), dict(data)
        )

    @post("/consents/withdraw", operation_id="WithdrawConsent", name="privacy.withdraw_consent")
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template:
        """Withdraw the consent in force for a purpose."""
        verb = consents.withdraw_consent(
            db_session, actor, customer_id, data.get("purpose"), data.get("channel")
        )
        return await self._run(request, db_session, actor, customer_id, verb, _("Consent withdrawn."))

    @post("/exports", operation_id="RequestPersonalDataExport", name="privacy.request_export")
    async def request_export(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template:
        """Start a data-subject export (a ZIP made in the background)."""
        job = await subject_export.request_subject_export(db_session, actor, customer_id)
        await subject_export.enqueue(
            getattr(request.app.state, "arq", None), current_tenant(request).schema_name, job.id
        )
        notice = _("The export is being prepared; reload this section to download it.")
        return await _section(request, db_session, actor, customer_id, notice=notice)

    @post("/erase", operation_id="EraseCustomer", name="privacy.erase")
    async def erase(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template:
        """Anonymise the customer (refused while an order is open)."""
        schema = current_tenant(request).schema_name
        verb = erasure.erase_customer(db_session, actor, customer_id, schema=schema)
        return await self._run(
            request, db_session, actor, customer_id, verb, _("The customer's personal data was erased.")
        )


class PrivacyPagesController(Controller):
    path = "/privacy"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get(
        "/exports/{subject_export_id:uuid}/download",
        operation_id="DownloadPersonalDataExport",
        name="privacy.download",
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        subject_export_id: uuid.UUID,
    ) -> File:
        """The ZIP, for its requester only (404 for anyone else); audited."""
        found = await subject_export.subject_export_file(
            db_session, actor, current_tenant(request).schema_name, subject_export_id
        )
        fallback = "personal-data-" + found.download_name.split("-", 1)[1]
        disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.download_name)}"
        return File(
            path=found.path,
            filename=found.download_name,
            media_type=found.content_type,
            headers={"content-disposition": disposition, "cache-control": "private, no-store"},
        )

    async def _retention(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        *,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Template:
        years, report = await erasure.retention_report(session, actor)
        ctx = page(
            request,
            actor,
            nav="privacy",
            years=years,
            report=report,
            limit=erasure.REPORT_LIMIT,
            errors=errors or {},
            notice=notice,
        )
        return Template("privacy/retention.html", context=ctx, status_code=status)

    @get("/retention", operation_id="RetentionRule", name="privacy.retention")
    async def retention(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The retention rule and the customers it would anonymise now (a report; nothing changes)."""
        if not actor.can(PRIVACY_MANAGE):
            raise PermissionDenied(PRIVACY_MANAGE)
        return await self._retention(request, db_session, actor)

    @post("/retention", operation_id="SetRetentionRule", name="privacy.set_retention")
    async def set_retention(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Set or clear the number of inactive years."""
        try:
            await erasure.set_retention_years(db_session, actor, (data.get("years") or "").strip())
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._retention(request, db_session, actor, errors=_messages(exc), status=422)
        return await self._retention(request, db_session, actor, notice=_("Saved."))

    @post("/retention/apply", operation_id="ApplyRetentionRule", name="privacy.apply_retention")
    async def apply_retention(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Anonymise the customers the report listed and the user confirmed (each checked again)."""
        # One checkbox per reported customer, named c_<id>; anything else in the form is ignored.
        ids: list[uuid.UUID] = []
        for name, value in data.items():
            if name.startswith("c_") and value == "1":
                try:
                    ids.append(uuid.UUID(name[2:]))
                except ValueError:
                    continue
        done = await erasure.apply_retention(
            db_session, actor, ids, schema=current_tenant(request).schema_name
        )
        notice = _("%(n)s customers were anonymised.") % {"n": done}
        return await self._retention(request, db_session, actor, notice=notice)
