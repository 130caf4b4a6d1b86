"""Webhook endpoints in the admin (/settings/webhooks): list, create (the signing secret shown once),
edit, disable, each endpoint's delivery log with status and response code, replay a delivery. Every
verb is the endpoint service's (app.erp.webhooks); holders of integrations:manage only."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed, VersionConflict
from app.erp.entity import WEBHOOK_EVENTS
from app.erp.webhooks import WebhookEndpointService
from app.i18n import gettext as _
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, field_errors, page
from web.templating import fmt_datetime

NAV = "webhooks"


def _values(data: FormData) -> dict[str, Any]:
    """The form's fields; each picked event is a checkbox named ``event.<name>``."""
    return {
        "name": data.get("name", ""),
        "url": data.get("url", ""),
        "events": [name for name in WEBHOOK_EVENTS if data.get(f"event.{name}")],
        "active": bool(data.get("active")),
    }


async def _list(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, status: int = 200, **extra: Any
) -> Template:
    service = WebhookEndpointService(session, actor)
    endpoints = (await service.page(first=100)).items
    ctx = page(
        request,
        actor,
        nav=NAV,
        endpoints=endpoints,
        events=WEBHOOK_EVENTS,
        **{
            "errors": {},
            "form": {"name": "", "url": "", "events": [], "active": True},
            "secret": None,
            **extra,
        },
    )
    return Template("webhooks/list.html", context=ctx, status_code=status)


async def _detail(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    endpoint_id: uuid.UUID,
    status: int = 200,
    **extra: Any,
) -> Template:
    service = WebhookEndpointService(session, actor)
    endpoint = await service.get(endpoint_id)
    deliveries = await service.deliveries(endpoint_id=endpoint.id, first=100)
    form = {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
    }
    ctx = page(
        request,
        actor,
        nav=NAV,
        endpoint=endpoint,
        deliveries=deliveries,
        events=WEBHOOK_EVENTS,
        **{"errors": {}, "form": form, "saved": request.query_params.get("saved"), **extra},
    )
    return Template("webhooks/detail.html", context=ctx, status_code=status)


class WebhooksController(Controller):
    path = "/settings/webhooks"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="WebhooksPage", name="webhooks.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The tenant's webhook endpoints and the form to add one."""
        return await _list(request, db_session, actor)

    @post("/", operation_id="CreateWebhook", name="webhooks.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Add an endpoint; its signing secret is shown on the answer, once."""
        service = WebhookEndpointService(db_session, actor)
        values = _values(data)
        try:
            await service.create(values)
        except ValidationFailed as exc:
            return await _list(request, db_session, actor, status=422, errors=field_errors(exc), form=values)
        return await _list(request, db_session, actor, status=201, secret=service.new_secret)

    @get("/{endpoint_id:uuid}", operation_id="WebhookPage", name="webhooks.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, endpoint_id: uuid.UUID
    ) -> Template:
        """One endpoint: its settings and its delivery log, newest first."""
        return await _detail(request, db_session, actor, endpoint_id)

    @post("/{endpoint_id:uuid}", operation_id="UpdateWebhook", name="webhooks.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        endpoint_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Change the endpoint (name, URL, events, active) against the version the form showed."""
        values = _values(data)
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await WebhookEndpointService(db_session, actor).update(endpoint_id, version, values)
        except ValidationFailed as exc:
            return await _detail(
                request, db_session, actor, endpoint_id, status=422, errors=field_errors(exc), form=values
            )
        except VersionConflict as exc:
            conflict = _("%(who)s changed this record at %(when)s, after you opened the form.") % {
                "who": exc.changed_by or _("Someone"),
                "when": fmt_datetime(exc.changed_at),
            }
            return await _detail(request, db_session, actor, endpoint_id, status=409, errors={"id": conflict})
        return Redirect(f"/settings/webhooks/{endpoint_id}?saved=1", status_code=303)

    @post("/{endpoint_id:uuid}/disable", operation_id="DisableWebhook", name="webhooks.disable")
    async def disable(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        endpoint_id: uuid.UUID,
        data: FormData,
    ) -> Redirect:
        """Stop sending to the endpoint (it stays, with its log; enable it again by editing)."""
        service = WebhookEndpointService(db_session, actor)
        endpoint = await service.get(endpoint_id)
        await service.update(endpoint.id, endpoint.version, {"active": False})
        return Redirect(f"/settings/webhooks/{endpoint_id}?saved=1", status_code=303)

    @post(
        "/{endpoint_id:uuid}/deliveries/{delivery_id:int}/replay",
        operation_id="ReplayWebhookDelivery",
        name="webhooks.replay",
    )
    async def replay(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        endpoint_id: uuid.UUID,
        delivery_id: int,
    ) -> Template | Redirect:
        """Send a delivered or failed delivery again (the next outbound sweep sends it)."""
        service = WebhookEndpointService(db_session, actor)
        await service.get(endpoint_id)  # another tenant's endpoint reads as absent
        try:
            await service.replay(delivery_id)
        except ValidationFailed as exc:
            return await _detail(
                request, db_session, actor, endpoint_id, status=422, errors=field_errors(exc)
            )
        return Redirect(f"/settings/webhooks/{endpoint_id}?replayed=1", status_code=303)
