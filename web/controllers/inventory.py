"""The inventory clerk's pages: stock levels (by warehouse, low stock), receiving by scanning serial
numbers on a phone, a serial number's history, replenishment suggestions, and the product catalog.

Thin: parse the query or form, call the catalog and stock services, render. Refusals come back as
the form with every message at once (422), nothing half-moved.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.entity import PRODUCT
from app.catalog.filters import PRODUCT_FILTERS, ProductFilter, list_products
from app.catalog.service import ProductService
from app.domain import Actor, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.inventory import reports
from app.inventory.entity import INVENTORY_MOVE, INVENTORY_READ, STOCK_MOVEMENT
from app.inventory.fields import MovementKind, SerialStatus
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService
from app.kit.enums import N_
from app.kit.paging import Order
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages
from web.kit.lists import VIEW_ROW, Column, ListSpec, RowAction, list_response, open_list, results_only

# A scanner types the number and presses Enter: one number per line (commas and spaces also split).
SERIAL_SPLIT = re.compile(r"[\s,，;；]+")


PRODUCT_LIST = ListSpec(
    entity=PRODUCT,
    path="/catalog/products",
    filters=PRODUCT_FILTERS,
    columns=(
        Column("name", N_("Product name"), sort="name", title=True, cls="name-cell"),
        Column("sku", N_("SKU"), sort="sku", cls="mono"),
        Column("model", N_("Model"), wide_only=True),
        Column("kind", N_("Product kind")),
        Column("list_price", N_("List price"), cls="num"),
    ),
    sorts={
        "name": N_("Product name"),
        "sku": N_("SKU"),
        "updated_at": N_("Updated"),
        "created_at": N_("Created"),
    },
    ascending=("name", "sku"),
    page_size=50,
    actions=(VIEW_ROW, RowAction("edit", N_("Edit"), "{path}/{id}/edit", "edit")),
    bulk=(),
    views=False,
    new_label=N_("New product"),
    new_in_drawer=False,
    empty_label=N_("No products yet."),
    row_prefix="product",
    search_hint=N_("SKU, name, model or pinyin initials"),
)


def kind_label(kind: str) -> str:
    return MovementKind.labels().get(kind, kind)


def status_label(status: str) -> str:
    return SerialStatus.labels().get(status, status)


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


async def _warehouses(session: AsyncSession, actor: Actor) -> list[Any]:
    return (
        await WarehouseService(session, actor).page(order=Order("code", descending=False), first=100)
    ).items


class InventoryController(Controller):
    path = "/inventory"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="StockLevelsPage", name="inventory.levels")
    async def levels(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Stock per product and warehouse; ``warehouse`` and ``low`` narrow it, ``after`` pages on."""
        params = request.query_params
        warehouse_id = _uuid(params.get("warehouse"))
        low = params.get("low") == "1"
        problems: list[str] = []
        try:
            found = await reports.levels(
                db_session,
                actor,
                warehouse_id=warehouse_id,
                low_only=low,
                in_stock_only=not low and params.get("all") != "1",
                first=50,
                after=params.get("after") or None,
            )
        except ValidationFailed:
            problems.append(_("The page link is out of date; showing the first page."))
            found = await reports.levels(db_session, actor, warehouse_id=warehouse_id, low_only=low)
        ctx = page(
            request,
            actor,
            nav="inventory",
            levels=found,
            warehouses=await _warehouses(db_session, actor),
            warehouse_id=str(warehouse_id or ""),
            low=low,
            problems=problems,
            can_move=actor.can(INVENTORY_MOVE),
        )
        return Template("inventory/levels.html", context=ctx)

    @get("/receive", operation_id="ReceiveStockForm", name="inventory.receive_form")
    async def receive_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The receiving form: product, warehouse, quantity, and a box a scanner types serial numbers into."""
        if not actor.can(INVENTORY_MOVE):
            raise PermissionDenied(INVENTORY_MOVE)
        return await self._receive_page(request, db_session, actor, dict(request.query_params), {})

    @post("/receive", operation_id="ReceiveStock", name="inventory.receive")
    async def receive(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Record the receipt; every problem at once, or back to an empty form saying what arrived."""
        serials = [s for s in SERIAL_SPLIT.split(data.get("serial_numbers", "")) if s]
        quantity: Any = data.get("quantity", "").strip() or (len(serials) if serials else "")
        try:
            moved = await StockService(db_session, actor).receive(
                product_id=data.get("product_id", ""),
                warehouse_id=data.get("warehouse_id", ""),
                quantity=quantity,
                serials=serials,
                reason=data.get("reason") or None,
            )
        except ValidationFailed as exc:
            return await self._receive_page(
                request, db_session, actor, data, messages(STOCK_MOVEMENT, exc), 422
            )
        total = sum(line.on_hand_delta for line in moved.lines)
        done = _("%(n)s received.") % {"n": total}
        return Redirect(
            f"/inventory/receive?warehouse_id={data.get('warehouse_id', '')}&done={done}", status_code=303
        )

    async def _receive_page(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        values: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        products = await ProductService(session, actor).page(order=Order("name", descending=False), first=100)
        ctx = page(
            request,
            actor,
            nav="inventory",
            products=products.items,
            warehouses=await _warehouses(session, actor),
            values=values,
            errors=errors,
            done=request.query_params.get("done") if status == 200 else None,
        )
        return Template("inventory/receive.html", context=ctx, status_code=status)

    @get("/serials", operation_id="SerialLookupPage", name="inventory.serials")
    async def serials(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Look a serial number up: where the unit is, and every movement it made."""
        number = (request.query_params.get("q") or "").strip()
        found: list[Any] = []
        problem = None
        if number:
            try:
                found = await reports.serial_units(db_session, actor, number)
            except ValidationFailed:
                problem = _("A serial number is 1 to 64 characters.")
        ctx = page(
            request,
            actor,
            nav="inventory",
            q=number,
            units=found,
            problem=problem,
            kind_label=kind_label,
            status_label=status_label,
        )
        return Template("inventory/serials.html", context=ctx)

    @get("/replenishment", operation_id="ReplenishmentPage", name="inventory.replenishment")
    async def replenishment(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """What to reorder, with the numbers behind each suggestion."""
        warehouse_id = _uuid(request.query_params.get("warehouse"))
        suggestions = await reports.replenishment(db_session, actor, warehouse_id=warehouse_id)
        ctx = page(
            request,
            actor,
            nav="inventory",
            suggestions=suggestions,
            warehouses=await _warehouses(db_session, actor),
            warehouse_id=str(warehouse_id or ""),
        )
        return Template("inventory/replenishment.html", context=ctx)


class CatalogController(Controller):
    path = "/catalog/products"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="ProductListPage", name="catalog.products")
    async def products(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The catalog on the list kit: search by SKU, name, model or pinyin initials, kind, brand,
        category (with its subcategories); sortable, 50 a page."""

        async def fetch(filters: ProductFilter, **paging: Any) -> Any:
            return await list_products(db_session, actor, filters, **paging)

        view = await open_list(request, db_session, actor, PRODUCT_LIST, ProductFilter, fetch)
        if not results_only(request):  # the filter bar's choices (a fragment has no filter bar)
            view.options = {
                "brand_id": [(str(b.id), b.name) for b in await catalog.brands(db_session, actor)],
                "category_id": [(str(c.id), c.name) for c in await catalog.categories(db_session, actor)],
            }
        ctx = page(request, actor, nav="products", spec=PRODUCT)
        return list_response(request, view, "products/list.html", "products/_results.html", ctx)

    @get("/{product_id:uuid}", operation_id="ProductPage", name="catalog.product")
    async def product(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, product_id: uuid.UUID
    ) -> Template:
        """One product: its facts, its stock in each warehouse, its latest movements."""
        record = await ProductService(db_session, actor).get(product_id)
        category = (
            await db_session.get(catalog.ProductCategory, record.category_id) if record.category_id else None
        )
        brand = await db_session.get(catalog.Brand, record.brand_id) if record.brand_id else None
        can_see_stock = actor.can(INVENTORY_READ)
        levels = (
            (await reports.levels(db_session, actor, product_id=product_id, first=100)).rows
            if can_see_stock
            else []
        )
        lines = (
            (await reports.movements(db_session, actor, product_id=product_id, first=20)).rows
            if can_see_stock
            else []
        )
        ctx = page(
            request,
            actor,
            nav="products",
            p=record,
            category=category,
            brand=brand,
            warranty=catalog.warranty_months(record, category),
            levels=levels,
            lines=lines,
            spec=PRODUCT,
            kind_label=kind_label,
        )
        return Template("inventory/product.html", context=ctx)
