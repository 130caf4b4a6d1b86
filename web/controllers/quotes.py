"""The quote pages: the list (search, stage), the quote form with its lines editor (HTMX: add and
remove lines, a product picker with search, prices and totals recomputed as lines change), a quote
with its stage moves, its PDF on the dealer's letterhead, and converting it to an order.

Thin: parse the query or form, call the quote service, render. A refused save, move or conversion
shows the page again with the reasons (422); nothing half-saved.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.domain import Actor, PermissionDenied, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.inventory.service import WarehouseService
from app.kit.enums import N_
from app.kit.paging import Order
from app.orders.entity import ORDER
from app.orders.fields import InvoiceType
from app.pricing.service import PriceListService, today
from app.quotes.entity import CONVERTIBLE, QUOTE, QUOTES_EDIT
from app.quotes.filters import QUOTE_FILTERS, QuoteFilter, list_quotes
from app.quotes.letterhead import MAX_LOGO_BYTES, letterhead, set_letterhead
from app.quotes.pdf import render
from app.quotes.service import QuoteService
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages
from web.kit.lines import (
    LinesEditor,
    customer_options,
    customer_picker,
    form_lines,
    lines_input,
    product_options,
    product_picker,
    stored_rows,
)
from web.kit.lists import VIEW_ROW, Column, ListSpec, list_response, open_workflow_list

QUOTE_FIELDS = ("customer_id", "price_list_id", "valid_until", "tax_rate", "note")
QUOTE_LIST = ListSpec(
    entity=QUOTE,
    path="/quotes",
    filters=QUOTE_FILTERS,
    columns=(
        Column("number", N_("Quote number"), title=True, cls="mono"),
        Column("customer_id", N_("Customer")),
        Column("status", N_("Quote status")),
        Column("total", N_("Quote total"), sort="total", cls="num"),
        Column("valid_until", N_("Valid until"), wide_only=True),
        Column("order_id", N_("Order"), wide_only=True, cls="mono"),
    ),
    sorts={"created_at": N_("Created"), "updated_at": N_("Updated"), "total": N_("Quote total")},
    ascending=(),
    actions=(VIEW_ROW,),
    bulk=(),
    views=False,
    new_label=N_("New quote"),
    new_in_drawer=False,
    empty_label=N_("No quotes yet."),
    row_prefix="quote",
    search_hint=N_("Quote number or note"),
)
EDITOR = LinesEditor("quote", "/quotes/lines", "/quotes/pick/products", N_("Quote total"))
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

__all__ = ["QuotesController", "product_options"]  # price lists' form picks products the same way


def _STALE() -> str:  # noqa: N802 (reads like the message it is)
    return _("Someone else saved this quote after you opened it; reload to see their changes.")


def _label(labels: dict[str, str], locale: Any) -> str:
    return labels.get(str(locale or "zh_CN")) or labels.get("zh_CN") or ""


def quote_input(data: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: (data.get(k) or "").strip() for k in QUOTE_FIELDS if k in data}
    values["rows"] = form_lines(data)
    return values


def service_input(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the quote service takes them (rows as lines)."""
    found = {k: v for k, v in values.items() if k not in ("rows", "version")}
    found["lines"] = lines_input(values.get("rows") or [])
    return found


class QuotesController(Controller):
    path = "/quotes"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="QuoteListPage", name="quotes.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Quotes the actor can see on the list kit, newest first: search by number or note, filter by
        stage; sortable by creation, update and total; paged both ways."""
        service = QuoteService(db_session, actor)

        async def fetch(filters: QuoteFilter, **paging: Any) -> Any:
            return await list_quotes(db_session, actor, filters, **paging)

        view = await open_workflow_list(request, db_session, actor, QUOTE_LIST, QuoteFilter, fetch, "status")
        stages = dict(view.options["status"])
        view.names = await service.names(view.rows)
        ctx = page(
            request,
            actor,
            nav="quotes",
            stages=stages,
            can_edit=actor.can(QUOTES_EDIT) and actor.can("quotes:create"),
            today=today(),
        )
        return list_response(request, view, "quotes/list.html", "quotes/_results.html", ctx)

    # -- the form ---------------------------------------------------------------------------------

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        values: dict[str, Any],
        record: Any = None,
        errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = QuoteService(db_session, actor)
        ctx = page(
            request,
            actor,
            nav="quotes",
            record=record,
            values=values,
            errors=errors or {},
            conflict=conflict,
            customers=await customer_options(db_session, actor, chosen=str(values.get("customer_id") or "")),
            price_lists=[
                (str(p.id), p.name) for p in await PriceListService(db_session, actor).valid_lists(today())
            ]
            if actor.can("catalog:read")
            else [],
            **await self._editor(db_session, actor, service, values),
        )
        return Template("quotes/form.html", context=ctx, status_code=status_code)

    async def _editor(
        self, db_session: AsyncSession, actor: Actor, service: QuoteService, values: dict[str, Any]
    ) -> dict[str, Any]:
        """The lines editor's context: rows as typed, their prices and the totals when they check out."""
        rows = list(values.get("rows") or [])
        preview = await service.preview(service_input(values)) if rows else None
        return await EDITOR.context(db_session, actor, QUOTE, rows, preview)

    @get("/new", operation_id="NewQuoteForm", name="quotes.new")
    async def new_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """An empty quote with one blank line (a customer given as ?customer_id= is chosen)."""
        QuoteService(db_session, actor).require("create")
        customer = request.query_params.get("customer_id") or ""
        return await self._form(request, db_session, actor, values={"customer_id": customer, "rows": []})

    @post("/lines", operation_id="QuoteLinesEditor", name="quotes.lines")
    async def lines_editor(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """The lines editor again (HTMX): a line added or removed, prices and totals recomputed."""
        service = QuoteService(db_session, actor)
        service.require("read")
        values = quote_input(data)
        values["rows"] = EDITOR.edited(request, values["rows"])
        ctx = page(request, actor, values=values, **await self._editor(db_session, actor, service, values))
        return Template("kit/_lines.html", context=ctx)

    @get("/pick/customers", operation_id="QuoteCustomerOptions", name="quotes.pick_customers")
    async def pick_customers(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Customers the actor can see matching ``q``, as the options of the customer select."""
        return await customer_picker(request, db_session, actor)

    @get("/pick/products", operation_id="QuoteProductOptions", name="quotes.pick_products")
    async def pick_products(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Products matching ``q`` (SKU, name, model, pinyin initials), as a line's product options."""
        return await product_picker(request, db_session, actor)

    @post("/", operation_id="CreateQuotePage", name="quotes.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save a new quote (a draft) and show it."""
        values = quote_input(data)
        try:
            record = await QuoteService(db_session, actor).create(service_input(values))
        except ValidationFailed as exc:
            return await self._form(
                request, db_session, actor, values=values, errors=messages(QUOTE, exc), status_code=422
            )
        return Redirect(f"/quotes/{record.id}", status_code=303)

    @get("/{quote_id:uuid}/edit", operation_id="EditQuoteForm", name="quotes.edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, quote_id: uuid.UUID
    ) -> Template:
        """The quote's form with its lines, at the version it was opened."""
        service = QuoteService(db_session, actor)
        record = await service.get(quote_id)
        lines = (await service.lines([record.id]))[record.id]
        values: dict[str, Any] = {
            "customer_id": str(record.customer_id),
            "price_list_id": str(record.price_list_id or ""),
            "valid_until": record.valid_until.isoformat(),
            "tax_rate": str(record.tax_rate),
            "note": record.note or "",
            "version": str(record.version),
            "rows": stored_rows(lines),
        }
        return await self._form(request, db_session, actor, values=values, record=record)

    @post("/{quote_id:uuid}", operation_id="UpdateQuotePage", name="quotes.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        quote_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the quote's changes against the version the form was opened at."""
        service = QuoteService(db_session, actor)
        values = quote_input(data)
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await service.update(quote_id, version, service_input(values))
        except (ValidationFailed, VersionConflict) as exc:
            # Shown again as typed: a stale form says so (409), refused fields say why (422).
            record = await QuoteService(db_session, actor).get(quote_id)
            values["version"] = str(version)
            stale = isinstance(exc, VersionConflict)
            return await self._form(
                request,
                db_session,
                actor,
                values=values,
                record=record,
                conflict=_STALE() if stale else None,
                errors=messages(QUOTE, exc) if isinstance(exc, ValidationFailed) else None,
                status_code=409 if stale else 422,
            )
        return Redirect(f"/quotes/{quote_id}", status_code=303)

    # -- the letterhead ---------------------------------------------------------------------------

    @get("/letterhead", operation_id="QuoteLetterheadForm", name="quotes.letterhead")
    async def letterhead_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The address, phone and logo printed on quotes (settings:manage)."""
        if not actor.can(SETTINGS_MANAGE):
            raise PermissionDenied(SETTINGS_MANAGE)
        found = await letterhead(db_session)
        values = {"address": found.address, "phone": found.phone}
        return self._letterhead_page(request, actor, values, has_logo=bool(found.logo_png))

    def _letterhead_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str],
        *,
        has_logo: bool,
        errors: dict[str, str] | None = None,
        saved: bool = False,
        status_code: int = 200,
    ) -> Template:
        ctx = page(
            request, actor, nav="quotes", values=values, has_logo=has_logo, errors=errors or {}, saved=saved
        )
        return Template("quotes/letterhead.html", context=ctx, status_code=status_code)

    @post("/letterhead", operation_id="SaveQuoteLetterhead", name="quotes.letterhead_save")
    async def letterhead_save(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: MultipartData
    ) -> Template:
        """Keep the letterhead; a new logo (PNG or JPEG) replaces the old, "remove" takes it off."""
        upload = data.get("logo")
        logo: bytes | None = None
        if isinstance(upload, UploadFile):
            logo = (await upload.read(MAX_LOGO_BYTES + 1)) or None
        if data.get("remove_logo"):
            logo = b""
        values = {"address": str(data.get("address") or ""), "phone": str(data.get("phone") or "")}
        try:
            found = await set_letterhead(db_session, actor, values["address"], values["phone"], logo)
        except ValidationFailed as exc:
            current = await letterhead(db_session)
            return self._letterhead_page(
                request,
                actor,
                values,
                has_logo=bool(current.logo_png),
                errors=messages(QUOTE, exc),
                status_code=422,
            )
        return self._letterhead_page(request, actor, values, has_logo=bool(found.logo_png), saved=True)

    # -- one quote --------------------------------------------------------------------------------

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        quote_id: uuid.UUID,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = QuoteService(db_session, actor)
        record = await service.get(quote_id)
        lines = (await service.lines([record.id]))[record.id]
        locale = request.scope.get("state", {}).get("locale")
        stages = {key: _label(labels, locale) for key, labels in await service.stages()}
        warehouses = []
        if actor.can("orders:create") and record.status in CONVERTIBLE and record.order_id is None:
            found = await WarehouseService(db_session, actor).page(
                order=Order("code", descending=False), first=100
            )
            warehouses = [(str(w.id), w.name) for w in found.items]
        ctx = page(
            request,
            actor,
            nav="quotes",
            q=record,
            lines=lines,
            names=await service.names([record], lines),
            stage=stages.get(record.status, record.status),
            moves=[(key, _label(labels, locale)) for key, labels in await service.moves(record)],
            can_edit=actor.can(QUOTES_EDIT),
            warehouses=warehouses,
            invoice_types=InvoiceType.labels(),
            expired=record.valid_until < today(),
            problem=problem,
        )
        return Template("quotes/detail.html", context=ctx, status_code=status_code)

    @get("/{quote_id:uuid}", operation_id="QuotePage", name="quotes.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, quote_id: uuid.UUID
    ) -> Template:
        """One quote: customer, lines, totals with VAT, stage moves, the PDF and the conversion."""
        return await self._detail(request, db_session, actor, quote_id)

    @post("/{quote_id:uuid}/move", operation_id="MoveQuote", name="quotes.move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        quote_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Move the quote to another stage (sent, accepted, rejected...), given the version shown."""
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await QuoteService(db_session, actor).transition(quote_id, str(data.get("to") or ""), version)
        except (NotAllowedTransition, GuardFailed) as exc:
            return await self._detail(
                request, db_session, actor, quote_id, problem=refusal_text(exc), status_code=422
            )
        except ValidationFailed as exc:
            text = "；".join(dict.fromkeys(messages(QUOTE, exc).values()))
            return await self._detail(request, db_session, actor, quote_id, problem=text, status_code=422)
        except VersionConflict:
            return await self._detail(request, db_session, actor, quote_id, problem=_STALE(), status_code=409)
        return Redirect(f"/quotes/{quote_id}", status_code=303)

    @post("/{quote_id:uuid}/convert", operation_id="ConvertQuotePage", name="quotes.convert")
    async def convert(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        quote_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Turn the quote into a draft order in one step and show the order."""
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        fields = {k: data.get(k) for k in ("warehouse_id", "invoice_type", "invoice_title", "invoice_tax_no")}
        fields = {k: v for k, v in fields.items() if v}
        try:
            _quote, order = await QuoteService(db_session, actor).convert_to_order(quote_id, version, fields)
        except ValidationFailed as exc:
            text = "；".join(dict.fromkeys({**messages(ORDER, exc), **messages(QUOTE, exc)}.values()))
            return await self._detail(request, db_session, actor, quote_id, problem=text, status_code=422)
        except VersionConflict:
            return await self._detail(request, db_session, actor, quote_id, problem=_STALE(), status_code=409)
        return Redirect(f"/orders/{order.id}", status_code=303)

    @get("/{quote_id:uuid}/pdf", operation_id="QuotePdf", name="quotes.pdf")
    async def pdf(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, quote_id: uuid.UUID
    ) -> Response[bytes]:
        """The quote as a PDF on the dealer's letterhead (A4, Chinese)."""
        service = QuoteService(db_session, actor)
        record = await service.get(quote_id)
        locale = request.scope.get("state", {}).get("locale")
        stages = {key: _label(labels, locale) for key, labels in await service.stages()}
        tenant = request.scope.get("state", {}).get("tenant")
        printable = await service.printable(
            quote_id, getattr(tenant, "name", "") or "", stages.get(record.status, record.status)
        )
        body = render(printable, pdf_labels())
        filename = f"{printable.number}.pdf"
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )


def pdf_labels() -> dict[str, str]:
    """The words the PDF prints, in the request's language."""
    return {
        "title": _("Quotation"),
        "address": _("Address"),
        "phone": _("Phone"),
        "number": _("Quote number"),
        "written_on": _("Date"),
        "customer": _("Customer"),
        "valid_until": _("Valid until"),
        "salesperson": _("Salesperson"),
        "price_list": _("Price list"),
        "status": _("Quote status"),
        "product": _("Product"),
        "quantity": _("Quantity"),
        "unit_price": _("Unit price"),
        "discount": _("Discount"),
        "amount": _("Line total"),
        "trade_in": _("Trade-in"),
        "total": _("Total (VAT included)"),
        "in_words": _("In words"),
        "tax": _("Of which VAT at %(rate)s%%"),
        "note": _("Note"),
        "terms": _(
            "Prices include VAT. Valid until the date above; stock is reserved once an order is approved."
        ),
    }
