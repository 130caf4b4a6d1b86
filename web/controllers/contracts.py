"""The contract pages: the list, a contract (its fields, status with the moves it may make, the
customer, opportunity and order it belongs to, its files), the new and edit forms, and the tenant's
expiry notice period.

Thin: parse the query or form, call ``ContractService`` (and ``app.opportunities.expiry``), render.
A refused form answers 422 with a message at each field and everything typed kept; a form opened
before someone else saved answers 409 naming who and when, still with what was typed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.accounts.service import assignable_owners, staff_names
from app.domain import Actor, ValidationFailed, VersionConflict
from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.enums import N_
from app.opportunities import expiry
from app.opportunities.contracts import CONTRACT_FILES, ContractService
from app.opportunities.entity import CONTRACT
from app.opportunities.filters import CONTRACT_FILTERS, ContractFilter, list_contracts
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, is_htmx, page
from web.kit.files import download, read_uploads
from web.kit.forms import messages
from web.kit.lists import (
    VIEW_ROW,
    Column,
    ListSpec,
    RowAction,
    list_response,
    open_workflow_list,
    results_only,
)
from web.templating import fmt_datetime

CONTRACT_LIST = ListSpec(
    entity=CONTRACT,
    path="/contracts",
    filters=CONTRACT_FILTERS,
    columns=(
        Column("number", N_("Contract number"), title=True, cls="mono"),
        Column("title", N_("Contract title")),
        Column("customer_id", N_("Customer")),
        Column("amount", N_("Contract amount"), sort="amount", cls="num"),
        Column("status", N_("Contract status"), wide_only=True),
        Column("ends_on", N_("Ends on"), wide_only=True, cls="muted"),
        Column("owner_id", N_("Salesperson"), wide_only=True),
    ),
    sorts={
        "created_at": N_("Created"),
        "updated_at": N_("Updated"),
        "amount": N_("Contract amount"),
    },
    actions=(VIEW_ROW, RowAction("edit", N_("Edit"), "{path}/{id}/edit", "edit")),
    bulk=(),
    views=False,
    new_label=N_("New contract"),
    new_in_drawer=False,
    empty_label=N_("No contracts yet."),
    row_prefix="contract",
    search_hint=N_("Contract number, title or note"),
)

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FORM_FIELDS = (
    "number",
    "title",
    "customer_id",
    "opportunity_id",
    "order_id",
    "amount",
    "signed_on",
    "starts_on",
    "ends_on",
    "note",
)


def _version(data: dict[str, Any]) -> int:
    raw = str(data.get("version") or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


def _typed(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(data.get(k) or "") for k in (*FORM_FIELDS, "version")}


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(data.get(k) or "")).strip() or None for k in FORM_FIELDS}


def _conflict_text(exc: VersionConflict) -> str:
    return _("%(who)s changed this record at %(when)s, after you opened the form.") % {
        "who": exc.changed_by or _("Someone"),
        "when": fmt_datetime(exc.changed_at),
    }


def _file_errors(exc: ValidationFailed) -> dict[str, str]:
    errors = messages(CONTRACT, exc)
    found = {k: v for k, v in errors.items() if not k.startswith("attachments")}
    files = [v for k, v in errors.items() if k.startswith("attachments")]
    if files:
        found["attachments"] = "；".join(dict.fromkeys(files))
    return found


class ContractsController(Controller):
    path = "/contracts"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    # -- the list --------------------------------------------------------------------------------

    async def _list(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        remind_errors: dict[str, str] | None = None,
        remind_typed: str | None = None,
        status_code: int | None = None,
    ) -> Template:
        service = ContractService(db_session, actor)

        async def fetch(filters: ContractFilter, **paging: Any) -> Any:
            return await list_contracts(db_session, actor, filters, **paging)

        view = await open_workflow_list(
            request, db_session, actor, CONTRACT_LIST, ContractFilter, fetch, "status"
        )
        statuses = dict(view.options["status"])
        if not results_only(request):
            view.staff = await assignable_owners(db_session, actor)
        view.names = await staff_names(db_session, [c.owner_id for c in view.rows if c.owner_id])
        ctx = page(
            request,
            actor,
            nav="contracts",
            linked=await service.linked(view.rows),
            statuses=statuses,
            can_set_reminders=actor.can(SETTINGS_MANAGE),
            notice_days=remind_typed
            if remind_typed is not None
            else ", ".join(str(days) for days in await expiry.notice_days(db_session)),
            remind_errors=remind_errors or {},
        )
        return list_response(
            request, view, "contracts/list.html", "contracts/_results.html", ctx, status_code
        )

    @get("/", operation_id="ContractListPage", name="contracts.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Contracts the actor can see on the list kit, newest first: search by number, title or note,
        status, salesperson, end date; sortable by amount, end date, creation and update."""
        return await self._list(request, db_session, actor)

    # -- the form --------------------------------------------------------------------------------

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        form: dict[str, str],
        record: Any = None,
        errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = ContractService(db_session, actor)
        customers = await service.customer_choices()
        chosen = form.get("customer_id") or ""
        if chosen and chosen not in {str(i) for i, _n in customers}:
            # The contract's own customer, even when it is not among the recent ones.
            linked = await service.linked([record] if record is not None else [])
            if record is not None and str(record.customer_id) == chosen:
                customers.insert(0, (record.customer_id, linked.get(record.customer_id, chosen)))
        ctx = page(
            request,
            actor,
            nav="contracts",
            c=record,
            form=form,
            customers=customers,
            errors=errors or {},
            conflict=conflict,
            spec=CONTRACT,
        )
        return Template("contracts/form.html", context=ctx, status_code=status_code)

    @get("/new", operation_id="NewContractPage", name="contracts.new")
    async def new(self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor) -> Template:
        """The new-contract form; from an opportunity or order (``?opportunity_id=`` / ``?order_id=``)
        it starts with that one's customer and amount, or with a chosen customer (``?customer_id=``)."""
        params = request.query_params
        form = await ContractService(db_session, actor).prefill(
            opportunity_id=params.get("opportunity_id"), order_id=params.get("order_id")
        )
        if not form and params.get("customer_id"):
            form = {"customer_id": str(params.get("customer_id"))[:40]}
        return await self._form(request, db_session, actor, form=form)

    @post("/new", operation_id="CreateContractPage", name="contracts.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Draft a contract; a refusal shows the form again with each message at its field."""
        try:
            created = await ContractService(db_session, actor).create(_raw(data))
        except ValidationFailed as exc:
            return await self._form(
                request, db_session, actor, form=_typed(data), errors=messages(CONTRACT, exc), status_code=422
            )
        return Redirect(f"/contracts/{created.id}", status_code=303)

    @get("/{contract_id:uuid}/edit", operation_id="EditContractPage", name="contracts.edit")
    async def edit(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, contract_id: uuid.UUID
    ) -> Template:
        """The edit form with the contract's values and the version it shows."""
        service = ContractService(db_session, actor)
        service.require("edit")
        record = await service.get(contract_id)
        form = {k: "" if getattr(record, k) is None else str(getattr(record, k)) for k in FORM_FIELDS}
        form["version"] = str(record.version)
        return await self._form(request, db_session, actor, form=form, record=record)

    @post("/{contract_id:uuid}/edit", operation_id="UpdateContractPage", name="contracts.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the edit, given the version the form showed; a stale form is refused (409) with what
        was typed, naming who saved in between (saving again then overwrites knowingly)."""
        service = ContractService(db_session, actor)
        try:
            await service.update(contract_id, _version(data), _raw(data))
        except ValidationFailed as exc:
            await db_session.rollback()
            record = await service.get(contract_id)
            return await self._form(
                request,
                db_session,
                actor,
                form=_typed(data),
                record=record,
                errors=messages(CONTRACT, exc),
                status_code=422,
            )
        except VersionConflict as exc:
            await db_session.rollback()
            record = await service.get(contract_id)
            form = {**_typed(data), "version": str(record.version)}
            return await self._form(
                request,
                db_session,
                actor,
                form=form,
                record=record,
                conflict=_conflict_text(exc),
                status_code=409,
            )
        return Redirect(f"/contracts/{contract_id}", status_code=303)

    # -- a contract ------------------------------------------------------------------------------

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        *,
        problem: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        service = ContractService(db_session, actor)
        record = await service.get(contract_id)
        locale = locale_var.get()
        statuses = await service.statuses(locale)
        ctx = page(
            request,
            actor,
            nav="contracts",
            c=record,
            names=await service.linked([record]),
            status=statuses.get(record.status, record.status),
            moves=await service.moves(record, locale) if record.deleted_at is None else [],
            can_edit=actor.can("contracts:edit") and record.deleted_at is None,
            files=list(enumerate(record.attachments or [])),
            rule=CONTRACT_FILES,
            problem=problem,
            errors=errors or {},
        )
        return Template("contracts/detail.html", context=ctx, status_code=status_code)

    @get("/{contract_id:uuid}", operation_id="ContractPage", name="contracts.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, contract_id: uuid.UUID
    ) -> Template:
        """One contract: number, title, dates, amount, status and moves, what it belongs to, files."""
        return await self._detail(request, db_session, actor, contract_id)

    @post("/{contract_id:uuid}/move", operation_id="MoveContractPage", name="contracts.move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Move the contract to another status of its workflow, given the version shown."""
        try:
            await ContractService(db_session, actor).transition(
                contract_id, str(data.get("to") or ""), _version(data)
            )
        except (NotAllowedTransition, GuardFailed) as exc:
            reason = refusal_text(exc)
        except VersionConflict as exc:
            reason = _conflict_text(exc)
        else:
            return Redirect(f"/contracts/{contract_id}", status_code=303)
        await db_session.rollback()
        return await self._detail(request, db_session, actor, contract_id, problem=reason, status_code=422)

    # -- files -----------------------------------------------------------------------------------

    @post(
        "/{contract_id:uuid}/files",
        operation_id="AttachContractFiles",
        name="contracts.files.add",
        request_max_body_size=CONTRACT_FILES.body_limit(),
    )
    async def attach(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        data: MultipartData,
    ) -> Template | Redirect:
        """Add files (at most ten of 20 MB in all); a refusal names the problem at the file input."""
        uploads = await read_uploads(data)
        return await self._change_files(
            request,
            db_session,
            actor,
            contract_id,
            lambda book, schema: book.attach(schema, contract_id, _version(data), uploads),
            again=_("Choose the files again."),
        )

    async def _change_files(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        change: Callable[[ContractService, str], Awaitable[Any]],
        *,
        again: str = "",
    ) -> Template | Redirect:
        """Add or remove files; a refusal (422) or a stale page (409) is told at the file input."""
        try:
            await change(ContractService(db_session, actor), current_tenant(request).schema_name)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._detail(
                request, db_session, actor, contract_id, errors=_file_errors(exc), status_code=422
            )
        except VersionConflict as exc:
            await db_session.rollback()
            errors = {"attachments": f"{_conflict_text(exc)} {again}".strip()}
            return await self._detail(request, db_session, actor, contract_id, errors=errors, status_code=409)
        if is_htmx(request):
            return await self._detail(request, db_session, actor, contract_id)
        return Redirect(f"/contracts/{contract_id}#files", status_code=303)

    @get(
        "/{contract_id:uuid}/files/{index:int}",
        operation_id="ContractFile",
        name="contracts.files.get",
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        index: int,
    ) -> Stream:
        """One file of a contract the actor can see, as a download."""
        item, handle = await ContractService(db_session, actor).open_file(
            current_tenant(request).schema_name, contract_id, index
        )
        return download(item, handle)

    @post(
        "/{contract_id:uuid}/files/delete", operation_id="RemoveContractFile", name="contracts.files.delete"
    )
    async def remove_file(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        contract_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Remove one file (named by its stored name), given the version shown."""
        file = str(data.get("file") or "")
        return await self._change_files(
            request,
            db_session,
            actor,
            contract_id,
            lambda book, schema: book.detach(schema, contract_id, _version(data), file),
        )

    # -- the notice periods ----------------------------------------------------------------------

    @post("/reminders", operation_id="SetContractReminderDays", name="contracts.reminders")
    async def reminders(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Set how many days before its end a contract's owner is told: one to three periods, such as
        "30, 7" (settings:manage)."""
        try:
            await expiry.set_notice_days(db_session, actor, data.get("notice_days"))
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._list(
                request,
                db_session,
                actor,
                remind_errors=messages(CONTRACT, exc),
                remind_typed=str(data.get("notice_days") or "")[:20],
                status_code=422,
            )
        return Redirect("/contracts", status_code=303)
