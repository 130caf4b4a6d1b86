"""Stocktake pages: the count sheets, opening one for a warehouse, counting by scanning serial
numbers (the scanner box) or typing quantities, and the manager's approval that posts the
adjustments. Thin: parse the form, call the count service, render; a refusal shows inline (422)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.domain import Actor, ValidationFailed, VersionConflict
from app.inventory.entity import INVENTORY_MANAGE
from app.inventory.service import WarehouseService
from app.kit.enums import N_
from app.kit.paging import Order
from app.stocktake.entity import STOCK_COUNT
from app.stocktake.fields import CountStatus
from app.stocktake.filters import STOCK_COUNT_FILTERS, StockCountFilter, list_counts
from app.stocktake.service import StockCountService
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages
from web.kit.lists import VIEW_ROW, Column, ListSpec, list_response, open_list

COUNT_LIST = ListSpec(
    entity=STOCK_COUNT,
    path="/inventory/counts",
    filters=STOCK_COUNT_FILTERS,
    columns=(
        Column("number", N_("Count number"), title=True, cls="mono"),
        Column("warehouse_id", N_("Warehouse")),
        Column("status", N_("Count status")),
        Column("created_at", N_("Created"), sort="created_at", wide_only=True, cls="muted"),
    ),
    sorts={"created_at": N_("Created"), "updated_at": N_("Updated")},
    ascending=(),
    page_size=50,
    actions=(VIEW_ROW,),
    bulk=(),
    views=False,
    empty_label=N_("No stock counts yet."),
    row_prefix="count",
    search_hint=N_("Count number"),
)


class StocktakeController(Controller):
    path = "/inventory/counts"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="StockCountsPage", name="stocktake.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The count sheets, newest first, and a form to open one."""
        return await self._list(request, db_session, actor)

    async def _list(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        async def fetch(filters: StockCountFilter, **paging: Any) -> Any:
            return await list_counts(db_session, actor, filters, **paging)

        view = await open_list(request, db_session, actor, COUNT_LIST, StockCountFilter, fetch)
        warehouses = await WarehouseService(db_session, actor).page(
            order=Order("code", descending=False), first=100
        )
        view.options = {"warehouse_id": [(str(w.id), w.name) for w in warehouses.items]}
        ctx = page(
            request,
            actor,
            nav="inventory",
            tab="counts",
            warehouses=warehouses.items,
            names={w.id: w.name for w in warehouses.items},
            statuses=CountStatus.labels(),
            problem=problem,
        )
        return list_response(
            request,
            view,
            "stocktake/list.html",
            "stocktake/_results.html",
            ctx,
            status_code if problem else None,
        )

    @post("/", operation_id="OpenStockCount", name="stocktake.open")
    async def open_sheet(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Open a count sheet for a warehouse: the ledger's snapshot now."""
        try:
            count = await StockCountService(db_session, actor).open(warehouse_id=data.get("warehouse_id"))
        except ValidationFailed as exc:
            await db_session.rollback()
            text = "；".join(dict.fromkeys(messages(STOCK_COUNT, exc).values()))
            return await self._list(request, db_session, actor, text, 422)
        return Redirect(f"/inventory/counts/{count.id}", status_code=303)

    async def _sheet(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        count_id: uuid.UUID,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = StockCountService(db_session, actor)
        count = await service.get(count_id)
        lines = await service.lines(count.id)
        products = {
            p.id: p
            for p in (
                await db_session.scalars(
                    select(Product).where(Product.id.in_([line.product_id for line in lines]))
                )
            ).all()
        }
        warehouse = await WarehouseService(db_session, actor).get(count.warehouse_id)
        ctx = page(
            request,
            actor,
            nav="inventory",
            c=count,
            lines=lines,
            products=products,
            warehouse=warehouse,
            statuses=CountStatus.labels(),
            can_approve=actor.can(INVENTORY_MANAGE),
            problem=problem,
        )
        return Template("inventory/count.html", context=ctx, status_code=status_code)

    @get("/{count_id:uuid}", operation_id="StockCountPage", name="stocktake.sheet")
    async def sheet(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, count_id: uuid.UUID
    ) -> Template:
        """One count sheet: expected, counted and the variance per product; scan or type counts."""
        return await self._sheet(request, db_session, actor, count_id)

    async def _do(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        count_id: uuid.UUID,
        verb: Any,
    ) -> Template | Redirect:
        try:
            await verb(StockCountService(db_session, actor))
        except (ValidationFailed, VersionConflict) as exc:
            await db_session.rollback()
            text = (
                "；".join(dict.fromkeys(messages(STOCK_COUNT, exc).values()))
                if isinstance(exc, ValidationFailed)
                else str(exc)
            )
            return await self._sheet(request, db_session, actor, count_id, problem=text, status_code=422)
        return Redirect(f"/inventory/counts/{count_id}", status_code=303)

    @post("/{count_id:uuid}/scan", operation_id="ScanStockCount", name="stocktake.scan")
    async def scan(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        count_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Count serial-numbered units by the numbers scanned (one per line)."""
        numbers = str(data.get("serial_numbers") or "").split()
        return await self._do(request, db_session, actor, count_id, lambda s: s.scan(count_id, numbers))

    @post("/{count_id:uuid}/count", operation_id="CountStock", name="stocktake.count")
    async def count(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        count_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Record how many units of a product were found."""
        return await self._do(
            request,
            db_session,
            actor,
            count_id,
            lambda s: s.count_quantity(
                count_id, product_id=data.get("product_id"), quantity=data.get("quantity")
            ),
        )

    @post("/{count_id:uuid}/approve", operation_id="ApproveStockCount", name="stocktake.approve")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        count_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Approve: the variances are posted as adjustments, all or none."""
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        return await self._do(request, db_session, actor, count_id, lambda s: s.approve(count_id, version))
