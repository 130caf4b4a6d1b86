"""Warehouses on the entity kit: a code names one live warehouse; a warehouse holding stock stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.domain import FieldError, ValidationFailed
from app.inventory.entity import WAREHOUSE
from app.inventory.fields import WarehouseKind
from app.inventory.models import StockLevel, Warehouse
from app.kit.fields import Choice, Fields, Ref, Text
from app.kit.scope import TenantWide
from app.kit.service import EntityService


class WarehouseService(EntityService[Warehouse]):
    spec = WAREHOUSE
    model = Warehouse
    fields = Fields(
        {
            "code": Text(required=True, max_length=30),
            "name": Text(required=True, max_length=60),
            "kind": Choice(required=True, enum=WarehouseKind),
            "address": Text(max_length=200),
            "keeper_id": Ref(),
        },
        defaults={"kind": WarehouseKind.SHOP.value},
    )
    scope = TenantWide()
    sort_fields = ("created_at", "updated_at", "name", "code")

    def require(self, action: str) -> None:
        # Warehouses are inventory's to manage; reading them is inventory:read.
        super().require("read" if action == "read" else "manage")

    async def _check(self, values: dict[str, Any], record: Warehouse | None = None) -> None:
        errors: list[FieldError] = []
        code = values.get("code")
        if code:
            query = select(Warehouse.id).where(Warehouse.code == code, Warehouse.deleted_at.is_(None))
            if record is not None:
                query = query.where(Warehouse.id != record.id)
            if await self.session.scalar(query.limit(1)) is not None:
                errors.append(FieldError("code", "duplicate_code", "another warehouse has this code"))
        keeper = values.get("keeper_id")
        if keeper is not None and await self.session.get(User, keeper) is None:
            errors.append(FieldError("keeper_id", "unknown_keeper", "is not a staff member"))
        if errors:
            raise ValidationFailed(errors)

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check(values)

    async def before_update(self, record: Warehouse, values: dict[str, Any]) -> None:
        await self._check(values, record)

    async def before_delete(self, record: Warehouse, *, deleted: bool) -> None:
        held = await self.session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(StockLevel.warehouse_id == record.id)
        )
        if deleted and int(held or 0) > 0:
            raise ValidationFailed([FieldError("id", "has_stock", "the warehouse still holds stock")])
