"""Background exports in the admin: start one from the customer list, follow it, download it, retry it.

Every read and write goes through ``app.exports.service`` (permission, ownership, audit); this module
parses the form, hands a committed export to the worker and renders the answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.response import File, Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.repository import CustomerFilter
from app.customfields import service as custom_fields
from app.domain import Actor, NotFound, PermissionDenied, ValidationFailed
from app.exports import service as exports
from app.exports.models import ExportJob, ExportStatus
from app.http.auth import current_tenant
from app.http.errors import http_exception_handler
from app.i18n import gettext as _
from web.controllers.common import is_htmx, page
from web.controllers.labels import choice_label, field_label
from web.kit.lists import filters_from_form

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

STATUS_LABELS = {
    ExportStatus.QUEUED: "Waiting",
    ExportStatus.RUNNING: "Exporting",
    ExportStatus.DONE: "Ready",
    ExportStatus.FAILED: "Failed",
}


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return http_exception_handler(request, NotFoundException())


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return http_exception_handler(request, PermissionDeniedException())


async def parse_filters(session: AsyncSession, form: dict[str, str], query: Any) -> CustomerFilter:
    """The list's filters from the form (or, failing that, the query string), read by the customer's
    one filter spec; any bad value is an error (the button posts the list's checked parameters)."""
    definitions = await custom_fields.active_definitions(session, "customer")
    return filters_from_form(CUSTOMER_FILTERS, CustomerFilter, definitions, form, query)


def problems_of(exc: ValidationFailed) -> list[str]:
    """One sentence per problem, in the words of someone who pressed a button, not filled a form."""
    found: list[str] = []
    for error in exc.errors:
        if error.field == "format":
            message = _("Please choose CSV or Excel as the export format.")
        elif error.field == "status" and error.code == "not_retriable":
            message = _("Only failed or stalled exports can be retried.")
        else:
            message = _("The customer list's filters are not valid. Reload the list and try again.")
        if message not in found:
            found.append(message)
    return found


def _cast(job: ExportJob, now: datetime) -> dict[str, Any]:
    stalled = exports.is_stalled(job, now)
    percent = 0
    if job.status == ExportStatus.DONE:
        percent = 100
    elif job.rows_total:
        percent = min(99, int(job.rows_done * 100 / job.rows_total))
    return {
        "job": job,
        "status_label": _("Stalled") if stalled else _(STATUS_LABELS.get(job.status, job.status)),
        "active": job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) and not stalled,
        "retriable": job.status == ExportStatus.FAILED or stalled,
        "percent": percent,
        "filters": exports.filters_from_json(job.filters or {}),
    }


def _page(request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
    return page(request, actor, nav="exports", choice_label=choice_label, field_label=field_label, **extra)


async def _rows_context(db_session: AsyncSession, actor: Actor) -> dict[str, Any]:
    jobs = await exports.list_exports(db_session, actor)
    now = datetime.now(UTC)
    rows = [_cast(job, now) for job in jobs]
    people = {job.requested_by for job in jobs} | {
        job_filters.owner_id for job_filters in (row["filters"] for row in rows) if job_filters.owner_id
    }
    names = await accounts.staff_names(db_session, list(people))
    return {
        "rows": rows,
        "polling": any(row["active"] for row in rows),
        "names": names,
        "show_requester": any(job.requested_by != actor.user_id for job in jobs)
        or exports.sees_everyones(actor),
    }


class ExportsController(Controller):
    path = "/exports"
    exception_handlers = {NotFound: _not_found, PermissionDenied: _forbidden}

    @get("/", operation_id="ExportListPage", name="exports.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The actor's exports with progress and download links (everyone's for administrators)."""
        ctx = _page(request, actor, problems=[], started=request.query_params.get("started"))
        ctx.update(await _rows_context(db_session, actor))
        # "Export started" only while that export is still waiting or running (issue 8: it stayed).
        ctx["started"] = next(
            (r["job"].id for r in ctx["rows"] if str(r["job"].id) == ctx["started"] and r["active"]), None
        )
        return Template("exports/list.html", context=ctx, headers={"Vary": "HX-Request"})

    @get("/rows", operation_id="ExportRows", name="exports.rows")
    async def rows(self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor) -> Template:
        """The table body alone, polled by HTMX while an export is waiting or running; the last poll
        also takes the "Export started" notice away."""
        ctx = _page(request, actor)
        ctx.update(await _rows_context(db_session, actor))
        ctx["close_notice"] = not ctx["polling"]
        return Template("exports/_rows.html", context=ctx)

    @post("/", operation_id="RequestExport", name="exports.request")
    async def request_export(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect | Response[Any]:
        """Start an export of the customer list as currently filtered, then show the exports page."""
        tenant = current_tenant(request)
        try:
            filters = await parse_filters(db_session, data, request.query_params)
            job = await exports.request_customer_export(
                db_session, actor, filters, (data.get("format") or "").strip()
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            ctx = _page(request, actor, problems=problems_of(exc), started=None)
            ctx.update(await _rows_context(db_session, actor))
            return Template("exports/list.html", context=ctx, status_code=400)
        # Only now, with the row committed: the worker must find it. A lost enqueue is redone by the sweep.
        await exports.enqueue_export(request.app.state.arq, tenant.schema_name, job.id)
        target = f"/exports?started={job.id}"
        if is_htmx(request):
            return Response("", headers={"HX-Redirect": target}, media_type="text/html")
        return Redirect(target, status_code=303)

    @get("/{export_id:uuid}/download", operation_id="DownloadExport", name="exports.download")
    async def download(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, export_id: uuid.UUID
    ) -> File:
        """The finished file, for its requester or an administrator; 404 for anything else."""
        found = await exports.export_file(db_session, actor, current_tenant(request).schema_name, export_id)
        # RFC 6266: an ASCII name for old clients, the Chinese one (RFC 5987) for everyone else.
        fallback = "customers-" + found.download_name.split("-", 1)[1]
        disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.download_name)}"
        return File(
            path=found.path,
            filename=found.download_name,
            media_type=found.content_type,
            headers={"content-disposition": disposition, "cache-control": "private, no-store"},
        )

    @post("/{export_id:uuid}/retry", operation_id="RetryExport", name="exports.retry")
    async def retry(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, export_id: uuid.UUID
    ) -> Template | Redirect:
        """Queue a failed or stalled export again."""
        tenant = current_tenant(request)
        try:
            job = await exports.retry_export(db_session, actor, export_id)
        except ValidationFailed as exc:
            await db_session.rollback()
            ctx = _page(request, actor, problems=problems_of(exc), started=None)
            ctx.update(await _rows_context(db_session, actor))
            return Template("exports/list.html", context=ctx, status_code=409)
        await exports.enqueue_export(request.app.state.arq, tenant.schema_name, job.id, release_claim=True)
        if is_htmx(request):
            ctx = _page(request, actor)
            ctx.update(await _rows_context(db_session, actor))
            return Template("exports/_rows.html", context=ctx)
        return Redirect("/exports", status_code=303)
