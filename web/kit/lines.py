"""The lines editor of a sale's form (quotes, orders, and the next module with ``app.kit.lines``).

Rows are posted as ``lines-3-product_id``, ``lines-3-quantity``...; each row has a product picker
(search, then choose) or, for a trade-in (以旧换新), the old unit's description and value; any change
posts the form to the module's ``/lines`` route, which answers with the editor again: a line added
or removed, each line's price and amount, the total with its VAT, and a problem under its cell
(``lines.2.quantity``). Nothing typed is lost: rows come back as they were posted.

A module declares its editor once::

    EDITOR = LinesEditor("order", "/orders/lines", "/orders/pick/products", N_("Order total"))

and in its routes: ``rows = EDITOR.edited(request, form_lines(data))`` for the HTMX route,
``await EDITOR.context(session, actor, SPEC, values, preview)`` for the template's context, and
``{% include "kit/_lines.html" %}`` in its form (inside the ``<form>``). The service gives the
preview (``SellsLines.preview_of``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.service import ProductService
from app.customers.repository import CustomerFilter
from app.customers.service import CustomerService, list_customers
from app.domain import Actor, NotFound, ValidationFailed
from app.kit.lines import LineKind, Preview
from app.kit.paging import Order
from app.kit.registry import EntitySpec
from web.kit.forms import messages

LINE_FIELD = re.compile(r"^lines-(\d{1,3})-(kind|product_id|description|quantity|unit_price|discount)$")
# What a row is made of; a row where all of these are empty is the blank one the editor keeps.
LINE_KEYS = ("product_id", "description", "quantity", "unit_price", "discount")
MAX_FORM_LINES = 100


def form_lines(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The editor's rows (``lines-3-quantity``) in order, as typed; otherwise empty rows dropped."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = LINE_FIELD.match(key)
        if match and int(match.group(1)) < MAX_FORM_LINES:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = str(value or "").strip()
    found = []
    for _i, row in sorted(rows.items()):
        if not any(row.get(k) for k in LINE_KEYS):
            continue
        kind = LineKind.TRADE_IN.value if row.get("kind") == LineKind.TRADE_IN else LineKind.PRODUCT.value
        found.append({"kind": kind, **{k: row.get(k, "") for k in LINE_KEYS}})
    return found


def lines_input(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows as the service takes them: empty cells left out (a product line keeps its product, so a
    missing one is named at its cell)."""
    found = []
    for row in rows:
        trade_in = row.get("kind") == LineKind.TRADE_IN
        keep = {k: v for k, v in row.items() if v != "" or (k == "product_id" and not trade_in)}
        if trade_in:
            keep.pop("product_id", None)
        else:
            keep.pop("kind", None)
        found.append(keep)
    return found


def line_errors(spec: EntitySpec, problems: list[Any]) -> dict[str, str]:
    """``lines.2.quantity`` → message, for the editor's cells; the first per cell."""
    found: dict[str, str] = {}
    for error in problems:
        if error.field.startswith("lines."):
            text = next(iter(messages(spec, ValidationFailed([error])).values()))
            found.setdefault(error.field, text)
    return found


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


async def customer_options(
    session: AsyncSession, actor: Actor, q: str = "", chosen: str = ""
) -> list[tuple[str, str]]:
    """Customers the actor can see matching ``q`` (the newest 20), the chosen one first."""
    found = await list_customers(session, actor, CustomerFilter(search=q or None), first=20)
    options = [(str(c.id), f"{c.name} {c.mobile or ''}".strip()) for c in found.items]
    chosen_id = _uuid(chosen)
    if chosen_id is not None and chosen not in dict(options):
        try:
            customer = await CustomerService(session, actor).get(chosen_id)
        except NotFound:
            return options
        options.insert(0, (chosen, f"{customer.name} {customer.mobile or ''}".strip()))
    return options


async def product_options(
    session: AsyncSession, actor: Actor, q: str = "", first: int = 50
) -> list[tuple[str, str]]:
    """Products matching ``q`` (20), or the first ``first`` by name, as (id, name model · list price)."""
    service = ProductService(session, actor)
    if q:
        conditions = await catalog.product_conditions(session, search=q)
        found = await service.page(conditions, first=20)
    else:
        found = await service.page(order=Order("name", descending=False), first=first)
    return [(str(p.id), f"{p.name} {p.model or ''} · ¥{p.list_price or 0:,.2f}".strip()) for p in found.items]


def picker_query(request: Request[Any, Any, Any]) -> str:
    """What was typed in a product search box (each line's has its own name, ``pq-3``)."""
    typed = [v for k, v in request.query_params.items() if k == "q" or k.startswith("pq-")]
    return next((v.strip() for v in typed if v and v.strip()), "")[:100]


def stored_rows(lines: list[Any]) -> list[dict[str, str]]:
    """A saved record's lines as the editor's rows (an edit form opens with them)."""
    return [
        {
            "kind": line.kind,
            "product_id": str(line.product_id or ""),
            "description": line.description or "",
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount": str(line.discount) if line.discount else "",
        }
        for line in lines
    ]


async def customer_picker(request: Request[Any, Any, Any], session: AsyncSession, actor: Actor) -> Template:
    """The customer select's options for what was typed in its search box (``q`` or ``customer_q``)."""
    q = (request.query_params.get("q") or request.query_params.get("customer_q") or "").strip()[:100]
    return Template("kit/_options.html", context={"options": await customer_options(session, actor, q)})


async def product_picker(request: Request[Any, Any, Any], session: AsyncSession, actor: Actor) -> Template:
    """A line's product options for what was typed in its search box."""
    options = await product_options(session, actor, picker_query(request))
    return Template("kit/_options.html", context={"options": options})


@dataclass(frozen=True)
class LinesEditor:
    """One module's lines editor: ``prefix`` names its elements (``#order-lines``, ``#order-total``,
    ``#order-tax``, ``.order-line``), ``url`` the route that answers with the editor again,
    ``products_url`` the product picker's options, ``total_label`` the total's msgid."""

    prefix: str
    url: str
    products_url: str
    total_label: str
    trade_ins: bool = True
    # A field outside the editor whose change reprices the lines (the order's customer: their list).
    reprice_on: str = ""

    def blank(self) -> list[dict[str, str]]:
        """The rows of a new form: one empty product line."""
        return [{"kind": LineKind.PRODUCT.value, "product_id": "", "quantity": "1"}]

    def edited(self, request: Request[Any, Any, Any], rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """The rows after the button pressed: ``?remove=N``, ``?add=1``, ``?add=trade_in``."""
        rows = list(rows)
        remove = request.query_params.get("remove")
        if remove is not None and remove.isdigit() and int(remove) < len(rows):
            rows.pop(int(remove))
        add = request.query_params.get("add")
        if add and len(rows) < MAX_FORM_LINES:
            if add == LineKind.TRADE_IN and self.trade_ins:
                rows.append({"kind": LineKind.TRADE_IN.value, "product_id": "", "quantity": "1"})
            else:
                rows.append({"kind": LineKind.PRODUCT.value, "product_id": "", "quantity": "1"})
        return rows

    async def context(
        self,
        session: AsyncSession,
        actor: Actor,
        spec: EntitySpec,
        rows: list[dict[str, str]],
        preview: Preview | None,
    ) -> dict[str, Any]:
        """The template's context: rows as typed, their prices and the totals when they check out,
        the problems per cell, the first products for the pickers."""
        priced = preview.lines if preview else []
        return {
            "editor": self,
            "rows": rows,
            "priced": priced if len(priced) == len(rows) else [],
            "preview": preview,
            "line_errors": line_errors(spec, preview.problems) if preview else {},
            "products": await product_options(session, actor),
        }
