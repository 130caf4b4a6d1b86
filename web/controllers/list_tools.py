"""What every kit list adds: saved views (save, delete), a batch's undo from its toast, and the
tag settings page (rename, colour, merge, delete). Services hold the rules (app.saved_views,
app.batches, app.customers.tags); this only reads forms and answers."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_MANAGE
from app.batches import run as batch_runs
from app.batches import service as batches
from app.customers import tags as tag_admin
from app.domain import Actor, DomainError, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.saved_views import service as saved_views
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, is_htmx, page
from web.kit.responses import htmx_done

# List parameters that are the view's sort or the page, not its filters.
_NOT_FILTERS = ("sort", "dir", "size", "after", "before", "p", "view", "trashed")


def _safe_list_path(raw: str) -> str:
    path = (raw or "/").strip()
    return path if path.startswith("/") and not path.startswith("//") else "/"


class SavedViewsController(Controller):
    path = "/views"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @post("/", operation_id="SaveListView", name="views.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Redirect:
        """Save the list as it is now (filters, sort, shown columns) as a named view; open its tab."""
        form = await request.form()
        data = {k: str(form.get(k) or "") for k in ("list", "query", "entity", "name", "visibility")}
        back = _safe_list_path(data.get("list", "/"))
        params = dict(parse_qsl(data.get("query", "")))
        direction = params.get("dir")
        columns = [str(c) for c in form.getall("columns", [])]
        try:
            view = await saved_views.create_view(
                db_session,
                actor,
                str(data.get("entity") or ""),
                saved_views.ViewInput(
                    name=data.get("name", ""),
                    filters={k: v for k, v in params.items() if k not in _NOT_FILTERS},
                    sort=params.get("sort") or "",
                    descending=None if direction not in ("asc", "desc") else direction == "desc",
                    columns=columns or None,
                    visibility=data.get("visibility") or "private",
                ),
            )
        except ValidationFailed as exc:
            first = exc.errors[0]
            message = error_text(first.code, first.message)
            return Redirect(f"{back}?{urlencode({**params, 'view_error': message})}", status_code=303)
        return Redirect(f"{back}?{urlencode({**params, 'view': str(view.id)})}", status_code=303)

    @post("/{view_id:uuid}/delete", operation_id="DeleteListView", name="views.delete")
    async def delete(
        self, db_session: AsyncSession, actor: Actor, view_id: uuid.UUID, data: FormData
    ) -> Redirect:
        """Delete a view (your own, or a shared one with the list's manage permission)."""
        view = await saved_views.delete_view(db_session, actor, view_id)
        spec_page = {"customer": "/customers"}.get(view.entity, "/")
        return Redirect(spec_page, status_code=303)


class BatchesController(Controller):
    path = "/batches"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @post("/{job_id:uuid}/undo", operation_id="UndoBatch", name="batches.undo")
    async def undo(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, job_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Undo a batch you made (the toast's button): prior values back where nobody changed them since."""
        try:
            job = await batches.begin_undo(db_session, actor, job_id)
            tenant = request.scope["state"]["tenant"]
            job = await batch_runs.dispatch(
                db_session, actor, job, getattr(request.app.state, "arq", None), tenant.schema_name
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            code = exc.errors[0].code if exc.errors else ""
            message = {
                "already_undone": _("This batch was undone already."),
                "undo_expired": _("A batch can be undone within 24 hours; this one is older."),
                "still_running": _("The batch is still running; undo it when it has finished."),
            }.get(code, _("The undo was not accepted."))
            return htmx_done(message) if is_htmx(request) else Redirect("/", status_code=303)
        events: dict[str, Any] = {"customers-changed": str(job.id)} if job.entity == "customer" else {}
        if job.status != batches.BatchStatus.UNDONE:
            message = _("The undo runs in the background.")
        elif job.undo_kept:
            message = _(
                "Undone: %(n)s restored; %(kept)s changed by someone since were left as they are."
            ) % {
                "n": job.undo_done,
                "kept": job.undo_kept,
            }
        else:
            message = _("Undone: %(n)s restored.") % {"n": job.undo_done}
        return htmx_done(message, **events) if is_htmx(request) else Redirect("/", status_code=303)


def _require_manage(actor: Actor) -> None:
    if not actor.can(CUSTOMERS_MANAGE):
        raise PermissionDenied(CUSTOMERS_MANAGE)


_TAG_MESSAGES = {
    "tag_exists": "Another tag has this name; merge the two instead.",
    "merge_into_itself": "Choose another tag to merge into.",
    "unknown_tag": "Choose a tag to merge into.",
}


class TagsController(Controller):
    path = "/settings/tags"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _page(
        self, request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, problem: str | None = None
    ) -> Template:
        usage = await tag_admin.list_tags(session, actor)
        ctx = page(request, actor, nav="tags", tags=usage, colours=tag_admin.COLOURS, problem=problem)
        return Template("tags/index.html", context=ctx, status_code=422 if problem else 200)

    @get("/", operation_id="TagSettingsPage", name="tags.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Every customer tag with its customer count: rename, colour, merge, delete."""
        _require_manage(actor)
        return await self._page(request, db_session, actor)

    async def _run(
        self, request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, verb: Any, done: str
    ) -> Template | Redirect:
        _require_manage(actor)
        try:
            await verb
        except ValidationFailed as exc:
            first = exc.errors[0]
            text = (
                _(_TAG_MESSAGES[first.code])
                if first.code in _TAG_MESSAGES
                else error_text(first.code, first.message)
            )
            return await self._page(request, session, actor, problem=text)
        except DomainError:
            raise
        return Redirect(f"/settings/tags?done={done}", status_code=303)

    @post("/{tag_id:uuid}", operation_id="UpdateTag", name="tags.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        tag_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Rename and recolour a tag."""
        _require_manage(actor)
        verb = tag_admin.update_tag(
            db_session, actor, tag_id, name=data.get("name"), color=data.get("color", "")
        )
        return await self._run(request, db_session, actor, verb, "saved")

    @post("/{tag_id:uuid}/merge", operation_id="MergeTags", name="tags.merge")
    async def merge(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        tag_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Merge this tag into another: its customers carry the other one."""
        _require_manage(actor)
        try:
            into = uuid.UUID(str(data.get("into") or ""))
        except ValueError:
            return await self._page(request, db_session, actor, problem=_(_TAG_MESSAGES["unknown_tag"]))
        return await self._run(
            request, db_session, actor, tag_admin.merge_tags(db_session, actor, tag_id, into), "merged"
        )

    @post("/{tag_id:uuid}/delete", operation_id="DeleteTag", name="tags.delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        tag_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Remove a tag from every customer."""
        _require_manage(actor)
        return await self._run(
            request, db_session, actor, tag_admin.delete_tag(db_session, actor, tag_id), "deleted"
        )
