"""Imports in the admin: upload a file, check its columns against a preview, start it, follow its
progress, download the rows it refused, undo it. Every entity the kit's importer knows gets these
pages (``/imports?entity=customer``); ``app.kit.imports`` holds every rule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, ValidationFailed
from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.kit.enums import N_
from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportBatch, ImportStatus
from app.kit.imports.spec import POLICIES
from app.kit.registry import entity as entity_spec
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, is_htmx, page

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

# What only an import can get wrong, in a person's words (field errors use the forms' texts).
IMPORT_MESSAGES = {
    "too_large": N_("The file is larger than the {limit} MB limit. Split it into smaller files."),
    "empty": N_("The file is empty."),
    "no_rows": N_("The file has a header row but no data rows."),
    "bad_encoding": N_("The file is neither UTF-8 nor GBK text. Save it from Excel as CSV (UTF-8) or XLSX."),
    "old_xls": N_("Old .xls workbooks cannot be read. Save the file as .xlsx or .csv."),
    "bad_csv": N_("The file is not a readable CSV file."),
    "bad_xlsx": N_("The file is not a readable Excel (.xlsx) workbook."),
    "formula": N_("The cell looks like a spreadsheet formula and was not imported."),
    "unknown_staff": N_("No staff member has this name or email."),
    "ambiguous_staff": N_("Several staff members have this name: use the email instead."),
    "duplicate": N_("Already exists (skipped by the duplicate rule)."),
    "duplicate_hidden": N_("Matches a customer of a colleague outside your scope."),
    "mapped_twice": N_("Two columns are mapped to the same field."),
    "unmapped_required": N_("A required field has no column."),
    "already_started": N_("This import has already started."),
    "not_undoable": N_("Only finished, failed or stalled imports can be undone."),
    "not_found": N_("The matching record is gone."),
}
NOTE_MESSAGES = {
    "unknown": N_("Not a known field: this column is not imported."),
    "duplicate": N_("The same header appears twice: only the first column is imported."),
    "taken": N_("Another column already fills this field: this one is not imported."),
}
POLICY_LABELS = {
    "skip": N_("Skip rows whose mobile number already exists"),
    "update": N_("Update the existing customer"),
    "create": N_("Create a new customer anyway"),
}
STATUS_LABELS = {
    ImportStatus.MAPPING: N_("Checking columns"),
    ImportStatus.QUEUED: N_("Waiting"),
    ImportStatus.RUNNING: N_("Importing"),
    ImportStatus.DONE: N_("Finished"),
    ImportStatus.FAILED: N_("Failed"),
    ImportStatus.UNDONE: N_("Undone"),
}
ACTION_LABELS = {
    "created": N_("Will be created"),
    "updated": N_("Will update"),
    "skipped": N_("Will be skipped"),
    "rejected": N_("Will be refused"),
}


def describe(problem: FieldError, spec_key: str = "customer") -> str:
    """One problem of a row as a sentence with the field's name."""
    text = (
        _(IMPORT_MESSAGES[problem.code])
        if problem.code in IMPORT_MESSAGES
        else error_text(problem.code, problem.message)
    )
    spec = entity_spec(spec_key)
    name = problem.field.split(".")[0]
    label = _(spec.field_label(name)) if spec and name in spec.fields else problem.field
    return f"{label}: {text}"


def problems_text(exc: ValidationFailed) -> list[str]:
    found = []
    for e in exc.errors:
        if e.code == "too_large":
            found.append(_(IMPORT_MESSAGES["too_large"]).format(limit=imports.limit_mb()))
        elif e.code in IMPORT_MESSAGES:
            found.append(_(IMPORT_MESSAGES[e.code]))
        else:
            found.append(error_text(e.code, e.message))
    return found


def _status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status) or status)


def _percent(batch: ImportBatch) -> int:
    if batch.status in (ImportStatus.DONE, ImportStatus.UNDONE):
        return 100
    if batch.rows_total:
        return min(99, int(batch.rows_done * 100 / batch.rows_total))
    return 0


def _too_large(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    message = _(IMPORT_MESSAGES["too_large"]).format(limit=imports.limit_mb())
    return Response(
        f'<div class="error" role="alert"><p>{message}</p></div>', status_code=413, media_type="text/html"
    )


class ImportsController(Controller):
    path = "/imports"
    exception_handlers = {**DOMAIN_ERROR_HANDLERS, 413: _too_large}

    def _ctx(self, request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
        return page(
            request,
            actor,
            nav="customers",
            status_label=_status_label,
            percent=_percent,
            limit_mb=imports.limit_mb(),
            policies=[(p, _(POLICY_LABELS[p])) for p in POLICIES],
            **extra,
        )

    async def _list(
        self, request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, entity: str, **extra: Any
    ) -> dict[str, Any]:
        ctx = self._ctx(request, actor, entity=entity, problems=[], **extra)
        ctx["batches"] = await imports.list_batches(session, actor, entity)
        ctx["templates"] = await imports.list_templates(session, actor, entity)
        return ctx

    @get("/", operation_id="ImportListPage", name="imports.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The upload form and the actor's recent imports."""
        entity = request.query_params.get("entity") or "customer"
        return Template("imports/list.html", context=await self._list(request, db_session, actor, entity))

    @post(
        "/",
        operation_id="UploadImport",
        name="imports.upload",
        request_max_body_size=imports.MAX_BYTES + 1024 * 1024,
    )
    async def upload(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: MultipartData
    ) -> Template | Redirect | Response[Any]:
        """Store the file and go to its column check; a file that cannot be imported says why."""
        entity = str(data.get("entity") or "customer")
        upload = data.get("file")
        template = str(data.get("template") or "")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationFailed([FieldError("file", "empty", "no file")])
            template_id = uuid.UUID(template) if template else None
            batch = await imports.upload(
                db_session,
                actor,
                current_tenant(request).schema_name,
                entity,
                upload.filename,
                upload.file,
                template_id=template_id,
                policy=str(data.get("policy") or "skip"),
            )
        except (ValidationFailed, ValueError) as exc:
            await db_session.rollback()
            failed = (
                exc
                if isinstance(exc, ValidationFailed)
                else ValidationFailed([FieldError("template", "invalid", "")])
            )
            ctx = await self._list(request, db_session, actor, entity)
            ctx["problems"] = problems_text(failed)
            return Template("imports/list.html", context=ctx, status_code=422)
        target = f"/imports/{batch.id}"
        if is_htmx(request):
            return Response("", headers={"HX-Redirect": target}, media_type="text/html")
        return Redirect(target, status_code=303)

    async def _batch_page(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        batch_id: uuid.UUID,
        **extra: Any,
    ) -> dict[str, Any]:
        shown = await imports.preview(session, actor, current_tenant(request).schema_name, batch_id)
        batch = shown.batch
        ctx = self._ctx(request, actor, batch=batch, entity=batch.entity, **extra)
        ctx.update(
            targets=[(t.key, _(t.label) if not t.custom else t.label) for t in shown.targets],
            notes={n.column: _(NOTE_MESSAGES[n.code]) for n in shown.notes},
            rows=[
                {
                    "row": r,
                    "action": _(ACTION_LABELS[r.action]),
                    "problems": [describe(p, batch.entity) for p in r.problems],
                }
                for r in shown.rows
            ],
            mapping_problems=[_(IMPORT_MESSAGES.get(e.code, "")) or e.message for e in shown.mapping_errors],
            templates=await imports.list_templates(session, actor, batch.entity),
        )
        return ctx

    @get("/{batch_id:uuid}", operation_id="ImportPage", name="imports.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, batch_id: uuid.UUID
    ) -> Template:
        """Columns and preview before the start; progress, results and undo after."""
        return Template(
            "imports/detail.html", context=await self._batch_page(request, db_session, actor, batch_id)
        )

    @post("/{batch_id:uuid}", operation_id="MapImport", name="imports.map")
    async def map_columns(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        batch_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the columns and policy, then preview again, save them as a template, or start."""
        action = data.get("action") or "preview"
        tenant = current_tenant(request)
        try:
            if action == "apply_template":
                await imports.apply_template(
                    db_session, actor, batch_id, uuid.UUID(data.get("template") or "")
                )
                return Redirect(f"/imports/{batch_id}", status_code=303)
            batch = await imports.get_batch(db_session, actor, batch_id)
            mapping = [data.get(f"col_{i}") or None for i in range(len(batch.headers))]
            await imports.set_mapping(db_session, actor, batch_id, mapping, data.get("policy") or "skip")
            if action == "save_template":
                await imports.save_template(db_session, actor, batch_id, data.get("template_name") or "")
            elif action == "start":
                await imports.start(db_session, actor, batch_id)
                await runs.enqueue_import(request.app.state.arq, tenant.schema_name, batch_id)
        except (ValidationFailed, ValueError) as exc:
            await db_session.rollback()
            failed = (
                exc
                if isinstance(exc, ValidationFailed)
                else ValidationFailed([FieldError("template", "invalid", "")])
            )
            ctx = await self._batch_page(request, db_session, actor, batch_id, problems=problems_text(failed))
            return Template("imports/detail.html", context=ctx, status_code=422)
        return Redirect(f"/imports/{batch_id}", status_code=303)

    @get("/{batch_id:uuid}/progress", operation_id="ImportProgress", name="imports.progress")
    async def progress(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, batch_id: uuid.UUID
    ) -> Template:
        """The progress bar and counts alone, polled by HTMX while the import runs."""
        batch = await imports.get_batch(db_session, actor, batch_id)
        return Template("imports/_progress.html", context=self._ctx(request, actor, batch=batch))

    @get("/{batch_id:uuid}/rejects", operation_id="ImportRejects", name="imports.rejects")
    async def rejects(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, batch_id: uuid.UUID
    ) -> Stream:
        """The refused rows as a CSV with a reason column, to fix and import again."""
        batch, rows = await imports.rejected_rows(db_session, actor, batch_id)
        body: Iterator[bytes] = imports.rejects_csv(
            batch, rows, lambda p: describe(p, batch.entity), _("Reason")
        )
        name = f"未导入的行-{batch.original_name.rsplit('.', 1)[0]}.csv"
        disposition = f"attachment; filename=\"rejected-rows.csv\"; filename*=UTF-8''{quote(name)}"
        return Stream(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": disposition, "cache-control": "private, no-store"},
        )

    @post("/{batch_id:uuid}/undo", operation_id="UndoImport", name="imports.undo")
    async def undo(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, batch_id: uuid.UUID
    ) -> Template | Redirect:
        """Undo the whole batch: created records removed, updated ones as they were."""
        try:
            result = await runs.undo_import(db_session, actor, batch_id)
        except ValidationFailed as exc:
            await db_session.rollback()
            ctx = await self._batch_page(request, db_session, actor, batch_id, problems=problems_text(exc))
            return Template("imports/detail.html", context=ctx, status_code=409)
        return Redirect(
            f"/imports/{batch_id}?undone={result.removed + result.restored}&kept={result.kept}",
            status_code=303,
        )
