"""The ERP connector's settings page and sync log (/settings/erp), for holders of
integrations:manage. The settings are the connector service's (app.erp.connector); runs are the
worker's (every 15 minutes while the connector is switched on)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed
from app.erp.connector import ORDER_FIELDS, PRODUCT_TARGETS, STOCK_TARGETS, ConnectorService, enqueue_sync
from app.erp.models import ErpConnector
from app.http.auth import current_tenant
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, field_errors, page


def _form(connector: ErpConnector) -> dict[str, Any]:
    return {
        "enabled": connector.enabled,
        "mode": connector.mode or "http",
        "base_url": connector.base_url or "",
        "csv_folder": connector.csv_folder or "",
        "product_mapping": json.dumps(connector.product_mapping or {}, ensure_ascii=False),
        "stock_mapping": json.dumps(connector.stock_mapping or {}, ensure_ascii=False),
        "outbound_folder": connector.outbound_folder or "",
        "order_mapping": json.dumps(connector.order_mapping or {}, ensure_ascii=False),
    }


async def _render(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, status: int = 200, **extra: Any
) -> Template:
    service = ConnectorService(session, actor)
    connector = await service.settings()
    ctx = page(
        request,
        actor,
        nav="erp",
        connector=connector,
        runs=await service.runs(30),
        product_targets=PRODUCT_TARGETS,
        stock_targets=STOCK_TARGETS,
        order_targets=tuple(ORDER_FIELDS),
        queued=request.query_params.get("queued"),
        **{"errors": {}, "form": _form(connector), "saved": request.query_params.get("saved"), **extra},
    )
    return Template("erp/settings.html", context=ctx, status_code=status)


class ErpSettingsController(Controller):
    path = "/settings/erp"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="ErpSettingsPage", name="erp.settings")
    async def settings_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The connector's switch and settings, and the latest runs of the sync log."""
        return await _render(request, db_session, actor)

    @post("/", operation_id="SaveErpSettings", name="erp.save")
    async def save(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save the settings; a blank token keeps the saved one."""
        raw: dict[str, Any] = {
            k: data.get(k)
            for k in (
                "mode",
                "base_url",
                "token",
                "csv_folder",
                "product_mapping",
                "stock_mapping",
                "outbound_folder",
                "order_mapping",
            )
        }
        raw |= {k: bool(data.get(k)) for k in ("enabled", "clear_token", "reset_cursors")}
        try:
            await ConnectorService(db_session, actor).save(raw)
        except ValidationFailed as exc:
            form = {k: v for k, v in raw.items() if k != "token"}
            return await _render(request, db_session, actor, status=422, errors=field_errors(exc), form=form)
        return Redirect("/settings/erp?saved=1", status_code=303)

    @post("/sync", operation_id="SyncErpNow", name="erp.sync")
    async def sync_now(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Redirect:
        """Run the connector now (in the worker); the sync log shows the run when it is done."""
        connector = await ConnectorService(db_session, actor).settings()
        queued = connector.enabled and await enqueue_sync(
            request.app.state.arq, current_tenant(request).schema_name
        )
        return Redirect(f"/settings/erp?queued={1 if queued else 0}", status_code=303)
