"""Inbound ERP sync: products and stock levels upserted by the ERP's own ids, idempotently.

Each row is its own savepoint inside one transaction: a malformed row is reported with its field
errors and the rest of the batch goes through. A row equal to the last one applied for that
external id (same digest) changes nothing, so re-sending a whole batch writes nothing. Stock levels
are set through the ledger as one batch adjustment per chunk (``StockService.set_levels``: the
differences as ledger lines, reason "ERP 同步", in a few statements), so the ledger stays the truth
and a level equal to the ERP's is left alone.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.service import ProductService
from app.domain import Actor, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.erp.models import ExternalRef
from app.inventory.entity import INVENTORY_MANAGE
from app.inventory.models import StockLevel, Warehouse
from app.inventory.stock import LevelTarget, StockService
from app.kit.fields import Errors, Text
from app.kit.numbers import Whole
from app.kit.service import batch

MAX_ROWS = 500
PRODUCT_FIELDS = (
    "sku",
    "name",
    "model",
    "unit",
    "list_price",
    "cost",
    "warranty_months",
    "serial_tracked",
    "specs",
)
SYNC_REASON = "ERP 同步"


@dataclass
class RowOutcome:
    index: int
    external_id: str | None
    status: str  # created | updated | unchanged | error
    record_id: uuid.UUID | None = None
    errors: list[FieldError] = field(default_factory=list)


def digest(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(row, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _too_many(rows: Sequence[Any]) -> None:
    if not rows:
        raise ValidationFailed([FieldError("rows", "required", "send at least one row")])
    if len(rows) > MAX_ROWS:
        raise ValidationFailed([FieldError("rows", "too_many", f"at most {MAX_ROWS} rows at once")])


def _external_id(errors: Errors, raw: Any) -> str | None:
    return Text(required=True, max_length=100).clean(errors, "external_id", raw)


async def _ref(session: AsyncSession, entity: str, external_id: str) -> ExternalRef | None:
    return await session.get(ExternalRef, (entity, external_id))


async def _remember(
    session: AsyncSession, entity: str, external_id: str, record_id: uuid.UUID, seen: str
) -> None:
    statement = insert(ExternalRef).values(
        entity=entity, external_id=external_id, record_id=record_id, digest=seen, synced_at=datetime.now(UTC)
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["entity", "external_id"],
            set_={"record_id": record_id, "digest": seen, "synced_at": datetime.now(UTC)},
        )
    )


def _prefixed(index: int, exc: DomainError) -> list[FieldError]:
    if isinstance(exc, ValidationFailed):
        return [FieldError(e.field, e.code, e.message) for e in exc.errors]
    if isinstance(exc, NotFound):
        return [FieldError("external_id", "not_found", str(exc))]
    return [FieldError("external_id", exc.code, str(exc))]


async def upsert_products(
    session: AsyncSession, actor: Actor, rows: Sequence[Mapping[str, Any]]
) -> list[RowOutcome]:
    """Create or update products by the ERP's id; the catalog's own checks apply to every row."""
    if not (actor.can("catalog:create") and actor.can("catalog:edit")):
        raise PermissionDenied("catalog:edit" if actor.can("catalog:create") else "catalog:create")
    _too_many(rows)
    outcomes: list[RowOutcome] = []
    async with batch(session):
        for index, row in enumerate(rows):
            errors = Errors()
            external = _external_id(errors, row.get("external_id"))
            if errors.items or external is None:
                outcomes.append(RowOutcome(index, external, "error", errors=errors.items))
                continue
            values = {k: row[k] for k in PRODUCT_FIELDS if k in row and row[k] is not None}
            seen = digest(values)
            try:
                async with session.begin_nested():
                    ref = await _ref(session, "product", external)
                    product = await session.get(Product, ref.record_id) if ref else None
                    if (
                        product is not None
                        and product.deleted_at is None
                        and ref is not None
                        and ref.digest == seen
                    ):
                        outcomes.append(RowOutcome(index, external, "unchanged", product.id))
                        continue
                    service = ProductService(session, actor)
                    if product is None or product.deleted_at is not None:
                        product = await service.create(values)
                        status = "created"
                    else:
                        product = await service.update(product.id, product.version, values)
                        status = "updated"
                    await _remember(session, "product", external, product.id, seen)
                outcomes.append(RowOutcome(index, external, status, product.id))
            except DomainError as exc:
                outcomes.append(RowOutcome(index, external, "error", errors=_prefixed(index, exc)))
    return outcomes


async def upsert_stock_levels(
    session: AsyncSession, actor: Actor, rows: Sequence[Mapping[str, Any]]
) -> list[RowOutcome]:
    """Set on-hand quantities from the ERP (product by its ERP id, warehouse by code): the levels
    that differ are set by one batch adjustment; an equal level is left alone.

    The batch's products, warehouses and current levels are read with one statement each before
    any row is applied, so a batch the ERP re-sends unchanged costs three reads and writes nothing
    (no ledger line, no event, no audit record); only rows whose level differs reach the ledger."""
    if not actor.can(INVENTORY_MANAGE):
        raise PermissionDenied(INVENTORY_MANAGE)
    _too_many(rows)
    cleaned: list[tuple[Errors, str | None, str | None, int | None]] = []
    for row in rows:
        errors = Errors()
        external = Text(required=True, max_length=100).clean(
            errors, "product_external_id", row.get("product_external_id")
        )
        code = Text(required=True, max_length=30).clean(errors, "warehouse_code", row.get("warehouse_code"))
        on_hand = Whole(required=True, minimum=0, maximum=1_000_000).clean(
            errors, "on_hand", row.get("on_hand")
        )
        cleaned.append((errors, external, code, on_hand))
    products = await _products_by_external_id(session, {c[1] for c in cleaned if c[1]})
    warehouses = await _warehouses_by_code(session, {c[2] for c in cleaned if c[2]})
    levels = await _levels(session, [p.id for p in products.values()], [w.id for w in warehouses.values()])
    outcomes: list[RowOutcome] = []
    # Each row against the level as the rows before it leave it (the ERP's later row for a level wins).
    targets: dict[tuple[uuid.UUID, uuid.UUID], tuple[list[int], int, str | None]] = {}
    for index, (errors, external, code, on_hand) in enumerate(cleaned):
        product = products.get(external) if external else None
        if external and product is None:
            errors.add(
                "product_external_id", "unknown_product", "no product has this ERP id; upsert it first"
            )
        warehouse = warehouses.get(code) if code else None
        if code and warehouse is None:
            errors.add("warehouse_code", "unknown_warehouse", "no warehouse has this code")
        if product is not None and product.serial_tracked:
            errors.add(
                "product_external_id",
                "serials_not_tracked",
                "serial-numbered stock is received unit by unit",
            )
        if errors.items or product is None or warehouse is None or on_hand is None:
            outcomes.append(RowOutcome(index, external, "error", errors=errors.items))
            continue
        key = (product.id, warehouse.id)
        if on_hand == levels.get(key, 0):
            outcomes.append(RowOutcome(index, external, "unchanged", product.id))
            continue
        levels[key] = on_hand
        rows_of_level = targets.get(key, ([], 0, None))[0]
        targets[key] = ([*rows_of_level, index], on_hand, external)
        outcomes.append(RowOutcome(index, external, "updated", product.id))
    if not targets:
        return outcomes  # nothing differs: no statement but the three reads
    # Only the levels that differ reach the ledger, as one batch adjustment (a few statements).
    keys = list(targets)
    done = await StockService(session, actor).set_levels(
        [LevelTarget(p, w, targets[(p, w)][1], targets[(p, w)][2]) for p, w in keys],
        reason=SYNC_REASON,
        source_type="erp",
    )
    for key, result in zip(keys, done.outcomes, strict=True):
        if result.status == "updated":
            continue
        for index in targets[key][0]:  # the level was not moved after all: so say its rows
            outcomes[index].status = result.status
            outcomes[index].errors = list(result.errors)
    return outcomes


async def _products_by_external_id(session: AsyncSession, externals: set[str]) -> dict[str, Product]:
    """Live products by the ERP ids they were synced under."""
    if not externals:
        return {}
    found = await session.execute(
        select(ExternalRef.external_id, Product)
        .join(Product, Product.id == ExternalRef.record_id)
        .where(
            ExternalRef.entity == "product",
            ExternalRef.external_id.in_(sorted(externals)),
            Product.deleted_at.is_(None),
        )
    )
    return {external: product for external, product in found.all()}


async def _warehouses_by_code(session: AsyncSession, codes: set[str]) -> dict[str, Warehouse]:
    if not codes:
        return {}
    found = await session.scalars(
        select(Warehouse).where(Warehouse.code.in_(sorted(codes)), Warehouse.deleted_at.is_(None))
    )
    return {w.code: w for w in found.all()}


async def _levels(
    session: AsyncSession, product_ids: Sequence[uuid.UUID], warehouse_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """On hand of every level among these products and warehouses (absent: none yet, 0)."""
    if not product_ids or not warehouse_ids:
        return {}
    found = await session.execute(
        select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand).where(
            StockLevel.product_id.in_(list(product_ids)), StockLevel.warehouse_id.in_(list(warehouse_ids))
        )
    )
    return {(p, w): int(n or 0) for p, w, n in found.all()}
