"""The product form in the admin: create and edit a product (brand, category, model, specs, unit,
prices, warranty months, serial tracking, energy label), built from the product's declared fields
with the kit's form machinery (``web.kit.forms``), saved through ``ProductService``. The form posts
to its own URL (``/new``, ``/{id}/edit``): the catalog's list and product pages own the others.

Thin: the form's values go to the service as they are; a refused save shows the form again with
every message (422), a stale one says who saved in between (409).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.entity import PRODUCT
from app.catalog.service import ProductService
from app.domain import Actor, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import form_values, messages, widgets


class ProductFormController(Controller):
    path = "/catalog/products"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        values: dict[str, str],
        record: Any = None,
        errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status_code: int = 200,
    ) -> Template:
        brands = [(str(b.id), b.name) for b in await catalog.brands(db_session, actor)]
        categories = [(str(c.id), c.name) for c in await catalog.categories(db_session, actor)]
        found = []
        for w in widgets(PRODUCT, ProductService.fields):
            if w.name == "brand_id":
                w = replace(w, choices=tuple(brands))
            elif w.name == "category_id":
                w = replace(w, choices=tuple(categories))
            found.append(w)
        ctx = page(
            request,
            actor,
            nav="products",
            record=record,
            widgets=found,
            values=values,
            errors=errors or {},
            conflict=conflict,
            title=_("Edit product") if record else _("New product"),
        )
        return Template("product_form/form.html", context=ctx, status_code=status_code)

    @get("/new", operation_id="NewProductForm", name="catalog.product_new")
    async def new_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """An empty product (an appliance sold by the unit, 台)."""
        ProductService(db_session, actor).require("create")
        return await self._form(request, db_session, actor, values={"kind": "appliance", "unit": "台"})

    @post("/new", operation_id="CreateProductPage", name="catalog.product_create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save a new product and show it."""
        values = {k: v for k, v in data.items() if k in ProductService.fields.types}
        try:
            record = await ProductService(db_session, actor).create(values)
        except ValidationFailed as exc:
            return await self._form(
                request, db_session, actor, values=dict(data), errors=messages(PRODUCT, exc), status_code=422
            )
        return Redirect(f"/catalog/products/{record.id}", status_code=303)

    @get("/{product_id:uuid}/edit", operation_id="EditProductForm", name="catalog.product_edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, product_id: uuid.UUID
    ) -> Template:
        """The product's form at the version it was opened."""
        service = ProductService(db_session, actor)
        service.require("edit")
        record = await service.get(product_id)
        values = form_values(record, ProductService.fields)
        return await self._form(request, db_session, actor, values=values, record=record)

    @post("/{product_id:uuid}/edit", operation_id="UpdateProductPage", name="catalog.product_update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        product_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the product's changes against the version the form was opened at."""
        values: dict[str, Any] = {k: v for k, v in data.items() if k in ProductService.fields.types}
        # An unticked checkbox sends nothing: serial tracking off.
        values.setdefault("serial_tracked", "")
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await ProductService(db_session, actor).update(product_id, version, values)
        except (ValidationFailed, VersionConflict) as exc:
            record = await ProductService(db_session, actor).get(product_id)
            shown = {**dict(data), "version": str(version)}
            if isinstance(exc, VersionConflict):
                conflict = _(
                    "Someone else saved this product after you opened it; reload to see their changes."
                )
                return await self._form(
                    request,
                    db_session,
                    actor,
                    values=shown,
                    record=record,
                    conflict=conflict,
                    status_code=409,
                )
            return await self._form(
                request,
                db_session,
                actor,
                values=shown,
                record=record,
                errors=messages(PRODUCT, exc),
                status_code=422,
            )
        return Redirect(f"/catalog/products/{product_id}", status_code=303)
