"""The section of a child entity on its parent's page, built from the entity's declarations.

    ROUTES += [child_controller("contact"), child_controller("address")]

gives ``/customers/{parent_id}/contacts`` (the section, loaded into the customer page), ``/new``
(the drawer form), create, ``/{id}/edit``, update (against the version the form was opened at),
``/{id}/delete`` (with undo) and ``/{id}/restore``. Every read and write goes through the entity's
``EntityService``; this module parses the form and renders the answer.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, NotFound, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.kit.fields import Ref
from app.kit.registry import EntitySpec, NavItem, entity
from app.kit.service import EntityService, service_for
from app.reference import divisions
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, is_htmx, page
from web.kit.forms import display, form_values, messages, widgets
from web.kit.responses import htmx_done, htmx_undo
from web.templating import fmt_datetime


def _camel(key: str) -> str:
    return "".join(part.title() for part in key.split("_"))


def _declared(key: str) -> tuple[EntitySpec, EntitySpec, NavItem]:
    """A child entity's declaration, its parent's, and the parent's navigation (its URL)."""
    spec = entity(key)
    assert spec is not None and spec.parent and spec.slug and spec.parent_field, key
    parent = entity(spec.parent)
    assert parent is not None and parent.nav is not None, spec.parent
    return spec, parent, parent.nav


def child_controller(key: str) -> type[Controller]:
    """The admin controller of child entity ``key`` (declared with ``parent`` and ``slug``)."""
    spec, parent, parent_nav = _declared(key)
    service_cls = service_for(key)
    # Path parameters named for the entities (/customers/{customer_id}/contacts/{contact_id}).
    parent_param, record_param = f"{parent.key}_id", f"{spec.key}_id"
    base = f"{parent_nav.path}/{{{parent_param}:uuid}}/{spec.slug}"
    name = _camel(key)
    changed_event = f"{spec.slug}-changed"

    def section_url(parent_id: uuid.UUID) -> str:
        return f"{parent_nav.path}/{parent_id}/{spec.slug}"

    async def live_parent(service: EntityService[Any], parent_id: uuid.UUID) -> Any:
        try:
            return await service.live_parent(parent_id)
        except ValidationFailed as exc:
            raise NotFound(spec.parent or "", parent_id) from exc

    async def ref_widgets(service: EntityService[Any], parent_id: uuid.UUID) -> list[Any]:
        """The form's widgets; a reference field is offered with the choices its service gives for
        this parent, and left off the form when it gives none."""
        found = []
        for w in widgets(spec, service_cls.fields, skip=(spec.parent_field or "",)):
            if isinstance(service_cls.fields.types.get(w.name), Ref):
                options = await service.options(w.name, parent_id)
                if options is None:
                    continue
                w = replace(w, choices=tuple(options))
            found.append(w)
        return found

    async def form(
        service: EntityService[Any],
        request: Request[Any, Any, Any],
        actor: Actor,
        parent_id: uuid.UUID,
        *,
        values: dict[str, str],
        record: Any = None,
        errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status: int = 200,
    ) -> Template:
        action = f"{section_url(parent_id)}/{record.id}" if record is not None else section_url(parent_id)
        province, city = values.get("province") or "", values.get("city") or ""
        ctx = page(
            request,
            actor,
            spec=spec,
            title=_("Edit %(what)s") % {"what": _(spec.label)}
            if record
            else _("New %(what)s") % {"what": _(spec.label)},
            widgets=await ref_widgets(service, parent_id),
            values=values,
            errors=errors or {},
            conflict=conflict,
            record=record,
            action=action,
            provinces=divisions.provinces(),
            cities=[(c, divisions.display_city(province, c)) for c in divisions.cities(province)]
            if province
            else [],
            districts=divisions.districts(province, city) if province and city else [],
        )
        fragment = request.method == "POST" and is_htmx(request)
        return Template("kit/_form.html" if fragment else "kit/_drawer.html", context=ctx, status_code=status)

    class ChildController(Controller):
        path = base
        request_class = HTMXRequest
        exception_handlers = DOMAIN_ERROR_HANDLERS

        @get("/", operation_id=f"{name}Section", name=f"{spec.slug}.section")
        async def section(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
            """The records of one parent, as cards, with the actions the actor may take."""
            parent_id, _none = _ids(request)
            service = service_cls(db_session, actor)
            await live_parent(service, parent_id)
            records = await service.for_parent(parent_id)
            module = spec.module
            # Ids are for machines: reference fields are not shown on the cards.
            fields = [
                n
                for n, kind in service_cls.fields.types.items()
                if n != spec.parent_field and not isinstance(kind, Ref)
            ]
            ctx = page(
                request,
                actor,
                spec=spec,
                records=records,
                fields=fields,
                show=lambda record, field: display(spec, service_cls.fields, record, field),
                label=lambda field: _(spec.field_label(field)),
                titled=lambda record: spec.title_of(record),
                url=section_url(parent_id),
                changed_event=changed_event,
                can_create=actor.can(f"{module}:create"),
                can_edit=actor.can(f"{module}:edit"),
                can_delete=actor.can(f"{module}:delete"),
            )
            return Template("kit/_section.html", context=ctx)

        @get("/new", operation_id=f"New{name}Form", name=f"{spec.slug}.new")
        async def new_form(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
            """The empty form, in the drawer."""
            parent_id, _none = _ids(request)
            service = service_cls(db_session, actor)
            service.require("create")
            await live_parent(service, parent_id)
            defaults = {k: str(v) for k, v in service_cls.fields.defaults.items()}
            return await form(service, request, actor, parent_id, values=defaults)

        @post("/", operation_id=f"Create{name}", name=f"{spec.slug}.create")
        async def create(
            self,
            request: HTMXRequest,
            db_session: AsyncSession,
            actor: Actor,
            data: FormData,
        ) -> Template | Response[Any] | Redirect:
            """Create from the form; inline errors with 422, or close the drawer and refresh the section."""
            parent_id, _none = _ids(request)
            service = service_cls(db_session, actor)
            await live_parent(service, parent_id)
            try:
                record = await service.create({**_fields_of(data), spec.parent_field or "": str(parent_id)})
            except ValidationFailed as exc:
                return await form(
                    service, request, actor, parent_id, values=data, errors=messages(spec, exc), status=422
                )
            message = _("%(what)s %(name)s added.") % {"what": _(spec.label), "name": spec.title_of(record)}
            if request.htmx:
                return htmx_done(message, **{changed_event: str(record.id)})
            return Redirect(parent.page.format(id=parent_id) if parent.page else "/", status_code=303)

        @get(f"/{{{record_param}:uuid}}/edit", operation_id=f"Edit{name}Form", name=f"{spec.slug}.edit")
        async def edit_form(
            self,
            request: HTMXRequest,
            db_session: AsyncSession,
            actor: Actor,
        ) -> Template:
            """The filled-in form, in the drawer."""
            parent_id, record_id = _ids(request)
            service = service_cls(db_session, actor)
            record = await _own(service, parent_id, record_id)
            service.require("edit")
            return await form(
                service,
                request,
                actor,
                parent_id,
                values=form_values(record, service_cls.fields),
                record=record,
            )

        @post(f"/{{{record_param}:uuid}}", operation_id=f"Update{name}", name=f"{spec.slug}.update")
        async def update(
            self,
            request: HTMXRequest,
            db_session: AsyncSession,
            actor: Actor,
            data: FormData,
        ) -> Template | Response[Any] | Redirect:
            """Save against the version the form was opened at; a newer version is a conflict, not a loss."""
            parent_id, record_id = _ids(request)
            service = service_cls(db_session, actor)
            opened = await _own(service, parent_id, record_id)
            version = int(data["version"]) if (data.get("version") or "").isdigit() else -1
            try:
                record = await service.update(opened.id, version, _fields_of(data))
            except ValidationFailed as exc:
                current = await _own(service, parent_id, record_id)
                return await form(
                    service,
                    request,
                    actor,
                    parent_id,
                    values=data,
                    record=current,
                    errors=messages(spec, exc),
                    status=422,
                )
            except VersionConflict as exc:
                current = await _own(service, parent_id, record_id)
                conflict = _("%(who)s changed this record at %(when)s, after you opened the form.") % {
                    "who": exc.changed_by or _("Someone"),
                    "when": fmt_datetime(exc.changed_at),
                }
                return await form(
                    service,
                    request,
                    actor,
                    parent_id,
                    values=data,
                    record=current,
                    conflict=conflict,
                    status=409,
                )
            message = _("%(what)s %(name)s saved.") % {"what": _(spec.label), "name": spec.title_of(record)}
            if request.htmx:
                return htmx_done(message, **{changed_event: str(record.id)})
            return Redirect(parent.page.format(id=parent_id) if parent.page else "/", status_code=303)

        @post(f"/{{{record_param}:uuid}}/delete", operation_id=f"Delete{name}", name=f"{spec.slug}.delete")
        async def delete(
            self,
            request: HTMXRequest,
            db_session: AsyncSession,
            actor: Actor,
        ) -> Response[Any] | Redirect:
            """Move to the recycle bin; the toast offers an undo."""
            return await _to_bin(request, db_session, actor, deleted=True)

        @post(f"/{{{record_param}:uuid}}/restore", operation_id=f"Restore{name}", name=f"{spec.slug}.restore")
        async def restore(
            self,
            request: HTMXRequest,
            db_session: AsyncSession,
            actor: Actor,
        ) -> Response[Any] | Redirect:
            """Bring a record back from the recycle bin."""
            return await _to_bin(request, db_session, actor, deleted=False)

    async def _to_bin(
        request: HTMXRequest, db_session: AsyncSession, actor: Actor, *, deleted: bool
    ) -> Response[Any] | Redirect:
        """Delete (with an undo in the toast) or restore one record of the parent."""
        parent_id, record_id = _ids(request)
        service = service_cls(db_session, actor)
        record = await _own(service, parent_id, record_id)
        record = await (service.delete(record.id) if deleted else service.restore(record.id))
        if not request.htmx:
            return Redirect(parent.page.format(id=parent_id) if parent.page else "/", status_code=303)
        names = {"what": _(spec.label), "name": spec.title_of(record)}
        events = {changed_event: str(record.id)}
        if deleted:
            undo = f"{section_url(parent_id)}/{record.id}/restore"
            return htmx_undo(_("%(what)s %(name)s deleted.") % names, undo, _("Undo"), **events)
        return htmx_done(_("%(what)s %(name)s restored.") % names, **events)

    def _ids(request: Request[Any, Any, Any]) -> tuple[uuid.UUID, uuid.UUID | None]:
        params = request.path_params
        return params[parent_param], params.get(record_param)

    async def _own(service: EntityService[Any], parent_id: uuid.UUID, record_id: uuid.UUID | None) -> Any:
        """The record, if it is visible and belongs to this parent (else it reads as absent)."""
        assert record_id is not None
        record = await service.get(record_id)
        if getattr(record, spec.parent_field or "") != parent_id:
            raise NotFound(spec.key, record_id)
        return record

    def _fields_of(data: dict[str, str]) -> dict[str, Any]:
        """What the form posted for the declared fields (an unticked checkbox posts nothing)."""
        declared = service_cls.fields
        names = [n for n in declared.types if n != spec.parent_field]
        values: dict[str, Any] = {n: data.get(n, "") for n in names}
        if declared.division:
            values.update({k: data.get(k, "") for k in ("province", "city", "district")})
        return values

    ChildController.__name__ = ChildController.__qualname__ = f"{name}SectionController"
    return ChildController
