"""The customer's timeline section (with quick notes), the likely-duplicates page, merging and its
undo, and the tenant's duplicate policy. Every read and write goes through the services
(app.timeline, app.duplicates); this module parses the browser's input and renders the answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_CREATE, CUSTOMERS_DELETE, CUSTOMERS_EDIT, SETTINGS_MANAGE
from app.customers import service as customers
from app.domain import Actor, NotFound, ValidationFailed
from app.duplicates import merge, scan
from app.duplicates.merge import UNDO_WINDOW
from app.duplicates.policy import DuplicatePolicy, duplicate_policy, set_duplicate_policy
from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.kit.duplicates import DuplicateFound, Match
from app.kit.registry import entity
from app.privacy.fields import ConsentChannel, ConsentPurpose
from app.timeline import notes
from app.timeline.service import Entry, customer_timeline, entry_kinds
from web.controllers.audit import action_label, entity_label
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, is_htmx, page
from web.controllers.labels import choice_label
from web.kit.files import download, read_uploads
from web.kit.forms import messages
from web.kit.responses import htmx_done, htmx_undo

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PAGE_SIZE = 20
# Five files of 10 MB and the note's text; larger bodies are refused before they are read.
NOTE_BODY_LIMIT = notes.MAX_ATTACHMENTS * notes.MAX_ATTACHMENT_BYTES + 1024 * 1024


# -- duplicate control on the customer form ----------------------------------------------------------


def confirmed(data: dict[str, Any]) -> bool:
    """The form's "save anyway" box: the user saw the duplicate warning and confirms."""
    return data.get("confirm_duplicates") == "1"


def _match_text(match: Match) -> str:
    if match.visible and match.title:
        return _("Matches your customer %(name)s.") % {"name": match.title}
    return _("Already belongs to a customer of %(owner)s.") % {"owner": match.owner_name or _("nobody")}


def duplicate_errors(exc: Exception) -> dict[str, str]:
    """Messages on the matching fields: whose customer it is, nothing more of it."""
    if not isinstance(exc, DuplicateFound):
        return {}
    return {m.field: _match_text(m) for m in reversed(exc.matches)}


def duplicate_notice(exc: Exception) -> dict[str, Any] | None:
    """The warning above the form, with the matches and whether "save anyway" is offered."""
    if not isinstance(exc, DuplicateFound):
        return None
    owners = sorted({m.owner_name for m in exc.matches if m.owner_name and not m.visible})
    return {
        "confirmable": exc.confirmable,
        "owners": "、".join(owners),
        "links": [(m.record_id, m.title) for m in exc.matches if m.visible and m.title],
    }


def describe(entry: Entry) -> dict[str, Any]:
    """What the template shows for one entry: a headline, details, and links."""
    data = entry.data
    if entry.kind == "note":
        return {
            "headline": _("added a note"),
            "body": data.get("body"),
            "files": data.get("attachments") or [],
        }
    if entry.kind == "stage":
        moved = " → ".join(choice_label("status", s) for s in (data.get("from"), data.get("to")) if s)
        return {"headline": _("moved the stage: %(move)s") % {"move": moved}, "body": data.get("note")}
    if entry.kind == "merge":
        return {"headline": _("Merge"), "merge": data}
    if entry.kind == "consent":
        # A consent given or withdrawn: the purpose in the headline, the channel and policy below.
        after = data.get("after") or {}
        purpose, channel = (
            ConsentPurpose.parse(after.get("purpose")),
            ConsentChannel.parse(after.get("withdraw_channel") or after.get("channel")),
        )
        headline = action_label(data.get("action") or "", "consent")
        if purpose is not None:
            headline += f" · {_(purpose.label)}"
        body = " · ".join(
            x for x in (_(channel.label) if channel else "", after.get("policy_version") or "") if x
        )
        return {"headline": headline, "body": body}
    key = data.get("entity") or ""
    spec = entity(key)
    fields = [
        _(spec.field_label(f)) if spec else f for f in entry.changed_fields if not f.startswith("custom.")
    ]
    headline = f"{action_label(data.get('action') or '', key)} · {entity_label(key)}"
    if data.get("title"):
        headline += f" · {data['title']}"
    return {"headline": headline, "fields": fields}


def _kinds_of(request: Request[Any, Any, Any]) -> list[str]:
    return [k for k in request.query_params.getall("kind", []) if k]


class TimelineController(Controller):
    path = "/customers/{customer_id:uuid}/timeline"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _section(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        *,
        kinds: list[str],
        after: str | None = None,
        errors: dict[str, str] | None = None,
        body: str = "",
        status: int = 200,
    ) -> Template:
        try:
            page_ = await customer_timeline(
                session, actor, customer_id, kinds_wanted=kinds or None, first=PAGE_SIZE, after=after
            )
        except ValidationFailed:  # a hand-edited filter or cursor: start over from the newest
            kinds, after = [], None
            page_ = await customer_timeline(session, actor, customer_id, first=PAGE_SIZE)
        customer = await customers.get_customer(session, actor, customer_id)
        now = datetime.now(UTC)
        ctx = page(
            request,
            actor,
            customer=customer,
            entries=[(e, describe(e)) for e in page_.items],
            timeline=page_,
            kinds=[(k.key, _(k.label), k.icon) for k in entry_kinds()],
            chosen=kinds,
            kind_query="".join(f"&kind={k}" for k in kinds),
            url=f"/customers/{customer_id}/timeline",
            can_note=actor.can(CUSTOMERS_CREATE) and customer.deleted_at is None,
            can_undo=actor.can(CUSTOMERS_EDIT) and actor.can(CUSTOMERS_DELETE),
            undo_open=lambda merged_at: now - datetime.fromisoformat(merged_at) < UNDO_WINDOW,
            errors=errors or {},
            body=body,
        )
        name = "customers/_timeline_entries.html" if after else "customers/_timeline.html"
        return Template(name, context=ctx, status_code=status)

    @get("/", operation_id="CustomerTimeline", name="customers.timeline")
    async def section(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        after: str | None = None,
    ) -> Template:
        """The timeline section of a customer's page: newest first, filterable by kind; ``after`` gives
        the next entries only (the "more" button)."""
        return await self._section(
            request, db_session, actor, customer_id, kinds=_kinds_of(request), after=after
        )

    @post(
        "/notes",
        operation_id="AddCustomerNote",
        name="customers.timeline.note",
        request_max_body_size=NOTE_BODY_LIMIT,
    )
    async def add_note(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: MultipartData,
    ) -> Template | Redirect:
        """A quick note with files; a refusal shows inline and keeps the text typed."""
        body = str(data.get("body") or "")
        try:
            await notes.add_note(
                db_session,
                actor,
                current_tenant(request).schema_name,
                customer_id,
                body,
                await read_uploads(data),
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            errors = messages(notes.SPEC, exc)
            errors.update({k.split(".")[0]: v for k, v in errors.items() if k.startswith("attachments")})
            return await self._section(
                request, db_session, actor, customer_id, kinds=[], errors=errors, body=body, status=422
            )
        if not is_htmx(request):
            return Redirect(f"/customers/{customer_id}#timeline", status_code=303)
        return await self._section(request, db_session, actor, customer_id, kinds=[])

    @get(
        "/notes/{note_id:uuid}/files/{index:int}",
        operation_id="CustomerNoteAttachment",
        name="customers.timeline.file",
    )
    async def attachment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        note_id: uuid.UUID,
        index: int,
    ) -> Stream:
        """One attached file, for whoever can see the note's customer."""
        described, handle = await notes.attachment(
            db_session, actor, current_tenant(request).schema_name, note_id, index
        )
        note = await notes.NoteService(db_session, actor).get(note_id)
        if note.customer_id != customer_id:
            handle.close()
            raise NotFound("note", note_id)

        return download(described, handle)


class DuplicatesController(Controller):
    path = "/duplicates"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="DuplicateCandidatesPage", name="duplicates.list")
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        reason: str | None = None,
    ) -> Template:
        """Likely duplicates within the actor's scope, with a merge button per pair."""
        reasons = [reason] if reason in scan.DuplicateReason.values() else None
        found = await scan.duplicate_candidates(db_session, actor, reasons=reasons, first=100)
        ctx = page(
            request,
            actor,
            nav="duplicates",
            found=found,
            reason=reason if reasons else None,
            reasons=[(r.value, _(r.label)) for r in scan.DuplicateReason],
            reason_label=lambda r: _(r.label),
            can_merge=actor.can(CUSTOMERS_EDIT) and actor.can(CUSTOMERS_DELETE),
            can_manage=actor.can(SETTINGS_MANAGE),
            policy=await duplicate_policy(db_session),
            policies=[(p.value, _(p.label)) for p in DuplicatePolicy],
        )
        return Template("customers/duplicates.html", context=ctx)

    @post("/merge", operation_id="MergeCustomers", name="duplicates.merge")
    async def merge(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Response[Any] | Redirect:
        """Merge one customer into another; the toast offers the undo."""
        try:
            kept, merged = uuid.UUID(data.get("kept_id", "")), uuid.UUID(data.get("merged_id", ""))
        except ValueError as exc:
            raise NotFound("customer", data.get("kept_id")) from exc
        try:
            record = await merge.merge_customers(db_session, actor, kept, merged)
        except ValidationFailed as exc:
            text = "; ".join(_merge_error(e.code) for e in exc.errors)
            if is_htmx(request):
                return htmx_done(text)
            return Redirect(f"/customers/{kept}", status_code=303)
        if is_htmx(request):
            return htmx_undo(
                _("Customers merged."),
                f"/duplicates/merges/{record.id}/undo",
                _("Undo"),
                **{"duplicates-changed": 1},
            )
        return Redirect(f"/customers/{kept}", status_code=303)

    @post("/merges/{merge_id:uuid}/undo", operation_id="UndoMerge", name="duplicates.undo")
    async def undo(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, merge_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Put a merge back (within 30 days)."""
        try:
            record = await merge.undo_merge(db_session, actor, merge_id)
        except ValidationFailed as exc:
            text = "; ".join(_merge_error(e.code) for e in exc.errors)
            return htmx_done(text) if is_htmx(request) else Redirect("/duplicates", status_code=303)
        if is_htmx(request):
            return htmx_done(
                _("Merge undone."), **{"duplicates-changed": 1, "customers-changed": str(record.kept_id)}
            )
        return Redirect(f"/customers/{record.merged_id}", status_code=303)

    @post("/policy", operation_id="SetDuplicatePolicy", name="duplicates.policy")
    async def policy(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Response[Any] | Redirect:
        """The tenant's policy: warn about a duplicate, or refuse it."""
        try:
            await set_duplicate_policy(db_session, actor, data.get("policy", ""))
        except ValidationFailed:
            return (
                htmx_done(_("Please choose one of the options."))
                if is_htmx(request)
                else Redirect("/duplicates", status_code=303)
            )
        if is_htmx(request):
            return htmx_done(_("Duplicate policy saved."))
        return Redirect("/duplicates", status_code=303)


def _merge_error(code: str) -> str:
    return {
        "merge_into_itself": _("A customer cannot be merged into itself."),
        "deleted_customer": _("A customer in the recycle bin cannot be merged; restore it first."),
        "already_undone": _("This merge was undone already."),
        "undo_expired": _("A merge can be undone within 30 days only."),
    }.get(code, _("This value is not valid."))
