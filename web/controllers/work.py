"""My work: planned follow-ups and open tasks (overdue / today / upcoming), and tasks' own forms."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Response, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed, VersionConflict
from app.followups.service import TASK, TaskService
from app.followups.worklist import work_list
from app.i18n import gettext as _
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages, widgets
from web.kit.responses import htmx_done


async def _task_form(
    request: HTMXRequest,
    actor: Actor,
    service: TaskService,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    found = []
    for w in widgets(TASK, TaskService.fields):
        if w.widget == "select" and not w.choices:
            options = await service.options(w.name, None)
            if options is None:
                continue
            w = type(w)(w.name, w.label, w.widget, w.required, w.max_length, tuple(options))
        found.append(w)
    ctx = page(
        request,
        actor,
        title=_("New %(what)s") % {"what": _(TASK.label)},
        widgets=found,
        values=values,
        errors=errors,
        conflict=None,
        record=None,
        action="/work/tasks",
        provinces=[],
        cities=[],
        districts=[],
    )
    fragment = request.method == "POST" and request.htmx
    return Template("kit/_form.html" if fragment else "kit/_drawer.html", context=ctx, status_code=status)


class WorkController(Controller):
    path = "/work"
    request_class = HTMXRequest
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="WorkList", name="work.list")
    async def work(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
        """The actor's own planned follow-ups and open tasks, by day."""
        found = await work_list(db_session, actor)
        return Template(
            "work/list.html",
            context=page(request, actor, nav="work", work=found, can_create=actor.can("customers:create")),
        )

    @get("/tasks/new", operation_id="NewTaskForm", name="work.task_new")
    async def new_task(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
        """The empty task form, in the drawer (assigned to the actor unless they choose someone)."""
        service = TaskService(db_session, actor)
        service.require("create")
        return await _task_form(request, actor, service, {"owner_id": str(actor.user_id)}, {})

    @post("/tasks", operation_id="CreateTask", name="work.task_create")
    async def create_task(
        self, request: HTMXRequest, db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Response[Any] | Redirect:
        """Create a task; inline errors with 422, or close the drawer and refresh the list."""
        service = TaskService(db_session, actor)
        fields = {name: data.get(name, "") for name in TaskService.fields.types if name != "customer_id"}
        try:
            record = await service.create(fields)
        except ValidationFailed as exc:
            return await _task_form(request, actor, service, data, messages(TASK, exc), status=422)
        message = _("%(what)s %(name)s added.") % {"what": _(TASK.label), "name": record.title}
        if request.htmx:
            return htmx_done(message, **{"work-changed": str(record.id)})
        return Redirect("/work", status_code=303)

    @post("/tasks/{task_id:uuid}/complete", operation_id="CompleteTask", name="work.task_complete")
    async def complete_task(
        self, request: HTMXRequest, db_session: AsyncSession, actor: Actor, task_id: uuid.UUID, data: FormData
    ) -> Response[Any] | Redirect:
        """Mark a task done (against the version shown); a newer version reloads the list."""
        version = int(data["version"]) if (data.get("version") or "").isdigit() else -1
        try:
            record = await TaskService(db_session, actor).complete(task_id, version)
            message = _("Task %(name)s done.") % {"name": record.title}
        except VersionConflict:
            message = _("Someone changed this task; the list is reloaded.")
        if request.htmx:
            return htmx_done(message, **{"work-changed": str(task_id)})
        return Redirect("/work", status_code=303)
