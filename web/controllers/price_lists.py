"""The price list pages: the lists with their periods and the customers they serve, and one form
for a list's name, period, tier and its prices per product (rows of product and price; a blank row
is ignored, so a few spare rows let the dealer add products).

Thin: parse the form, call the price list service, render; a refused save shows the form again
with every message (422), a stale one says who changed it (409).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.fields import CustomerTier
from app.domain import Actor, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.kit.enums import N_
from app.pricing.entity import PRICE_LIST
from app.pricing.fields import PriceListKind
from app.pricing.filters import PRICE_LIST_FILTERS, PriceListFilter, list_price_lists
from app.pricing.service import PriceListService, today
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.controllers.quotes import product_options
from web.kit.forms import messages
from web.kit.lists import VIEW_ROW, Column, ListSpec, list_response, open_list

ITEM_FIELD = re.compile(r"^items-(\d{1,4})-(product_id|price)$")
LIST_FIELDS = ("name", "kind", "tier", "valid_from", "valid_to", "note")
SPARE_ROWS = 3

PRICE_LIST_LIST = ListSpec(
    entity=PRICE_LIST,
    path="/price-lists",
    filters=PRICE_LIST_FILTERS,
    columns=(
        Column("name", N_("Price list name"), sort="name", title=True, cls="name-cell"),
        Column("kind", N_("Price list kind")),
        Column("tier", N_("For customers of tier")),
        Column("valid_from", N_("Valid from"), sort="valid_from"),
        Column("valid_to", N_("Valid to")),
    ),
    sorts={
        "valid_from": N_("Valid from"),
        "name": N_("Price list name"),
        "updated_at": N_("Updated"),
        "created_at": N_("Created"),
    },
    page_size=50,
    actions=(VIEW_ROW,),  # a price list's page is its form (editable by those who may)
    bulk=(),
    views=False,
    new_label=N_("New price list"),
    new_in_drawer=False,
    empty_label=N_("No price lists yet: every product sells at its list price."),
    row_prefix="price-list",
    search_hint=N_("Price list name"),
)


def list_input(data: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: (data.get(k) or "").strip() for k in LIST_FIELDS}
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = ITEM_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = (value or "").strip()
    values["items"] = [
        {"product_id": r.get("product_id", ""), "price": r.get("price", "")}
        for _i, r in sorted(rows.items())
        if r.get("product_id") or r.get("price")
    ]
    return values


class PriceListsController(Controller):
    path = "/price-lists"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="PriceListListPage", name="price_lists.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Every price list on the list kit, the newest period first, marked when it is valid
        today: search by name, kind, tier; sortable."""

        async def fetch(filters: PriceListFilter, **paging: Any) -> Any:
            return await list_price_lists(db_session, actor, filters, **paging)

        view = await open_list(request, db_session, actor, PRICE_LIST_LIST, PriceListFilter, fetch)
        ctx = page(
            request,
            actor,
            nav="price_lists",
            today=today(),
            kinds=PriceListKind.labels(),
            tiers=CustomerTier.labels(),
            can_edit=actor.can("catalog:edit") and actor.can("catalog:create"),
        )
        return list_response(request, view, "price_lists/list.html", "price_lists/_results.html", ctx)

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        values: dict[str, Any],
        record: Any = None,
        errors: dict[str, str] | None = None,
        item_errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status_code: int = 200,
    ) -> Template:
        rows = list(values.get("items") or []) + [{"product_id": "", "price": ""}] * SPARE_ROWS
        ctx = page(
            request,
            actor,
            nav="price_lists",
            record=record,
            values=values,
            rows=rows,
            errors=errors or {},
            item_errors=item_errors or {},
            conflict=conflict,
            kinds=PriceListKind.labels(),
            tiers=CustomerTier.labels(),
            products=await product_options(db_session, actor, first=100),
        )
        return Template("price_lists/form.html", context=ctx, status_code=status_code)

    @get("/new", operation_id="NewPriceListForm", name="price_lists.new")
    async def new_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """An empty price list starting today."""
        PriceListService(db_session, actor).require("create")
        values = {"kind": "retail", "valid_from": today().isoformat(), "items": []}
        return await self._form(request, db_session, actor, values=values)

    @post("/", operation_id="CreatePriceListPage", name="price_lists.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save a new price list with its prices."""
        values = list_input(data)
        try:
            record = await PriceListService(db_session, actor).create(values)
        except ValidationFailed as exc:
            errors, item_errors = _errors(exc)
            return await self._form(
                request,
                db_session,
                actor,
                values=values,
                status_code=422,
                errors=errors,
                item_errors=item_errors,
            )
        return Redirect(f"/price-lists/{record.id}", status_code=303)

    @get("/{price_list_id:uuid}", operation_id="PriceListPage", name="price_lists.detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        price_list_id: uuid.UUID,
    ) -> Template:
        """A price list's form with its prices (read-only fields for those who may not edit)."""
        service = PriceListService(db_session, actor)
        record = await service.get(price_list_id)
        items = await service.items(record.id)
        values: dict[str, Any] = {
            "name": record.name,
            "kind": record.kind,
            "tier": record.tier or "",
            "valid_from": record.valid_from.isoformat(),
            "valid_to": record.valid_to.isoformat() if record.valid_to else "",
            "note": record.note or "",
            "version": str(record.version),
            "items": [{"product_id": str(i.product_id), "price": str(i.price)} for i in items],
        }
        return await self._form(request, db_session, actor, values=values, record=record)

    @post("/{price_list_id:uuid}", operation_id="UpdatePriceListPage", name="price_lists.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        price_list_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the list's changes and its prices against the version the form was opened at."""
        values = list_input(data)
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        service = PriceListService(db_session, actor)
        try:
            await service.update(price_list_id, version, values)
        except (ValidationFailed, VersionConflict) as exc:
            record = await PriceListService(db_session, actor).get(price_list_id)
            values["version"] = str(version)
            if isinstance(exc, VersionConflict):
                conflict = _(
                    "Someone else saved this price list after you opened it; reload to see their changes."
                )
                return await self._form(
                    request,
                    db_session,
                    actor,
                    values=values,
                    record=record,
                    conflict=conflict,
                    status_code=409,
                )
            errors, item_errors = _errors(exc)
            return await self._form(
                request,
                db_session,
                actor,
                values=values,
                record=record,
                status_code=422,
                errors=errors,
                item_errors=item_errors,
            )
        return Redirect(f"/price-lists/{price_list_id}", status_code=303)


def _errors(exc: ValidationFailed) -> tuple[dict[str, str], dict[str, str]]:
    """Form-level messages by field, and ``items.3.price`` → message for the price rows."""
    items: dict[str, str] = {}
    for error in exc.errors:
        if error.field.startswith("items."):
            items.setdefault(
                error.field, next(iter(messages(PRICE_LIST, ValidationFailed([error])).values()))
            )
    return messages(PRICE_LIST, exc), items
