"""Tenant tables of stock keeping.

The ledger (``stock_movements``) is the single truth and append-only (a trigger refuses UPDATE and
DELETE); ``stock_levels`` is maintained in the same transaction as each movement, so reads are one
row, and ``dealercrm stock check`` recomputes it from the ledger. ``serial_units`` says where each
numbered unit is now; its history is the ledger's lines that name it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, uuid_pk
from app.inventory.fields import MovementKind, SerialStatus, WarehouseKind
from app.kit.model import RecordMixin


class Warehouse(RecordMixin, TenantBase):
    __tablename__ = "warehouses"

    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(200))
    # The technician whose van it is, or the keeper of a shop's stock room.
    keeper_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("uq_warehouses_code_live", "code", unique=True, postgresql_where="deleted_at IS NULL"),
        Index("ix_warehouses_created_at_id", "created_at", "id"),
        WarehouseKind.check_constraint("kind", name="kind_allowed", nullable=False),
    )


class StockLevel(TenantBase):
    """What one warehouse holds of one product: the ledger's sums, plus the thresholds set for it."""

    __tablename__ = "stock_levels"

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), primary_key=True)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    # Below this many available units the level is low (an event, the low-stock list).
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    # Days from ordering to receiving, for replenishment suggestions.
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # The database's own guard: stock never goes negative, promises never exceed the goods.
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_stock_levels_warehouse_id", "warehouse_id"),
    )


class StockMovement(TenantBase):
    """One line of the ledger. A business operation (a receipt of 20 units, a transfer) is one
    ``batch_id`` over one or more lines; serial-tracked goods move one unit per line."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    serial_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("serial_units.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    # The document behind it: ("order", "<id>"), ("ticket", ...), ("stocktake", ...), ("erp", ...).
    source_type: Mapped[str | None] = mapped_column(String(30))
    source_id: Mapped[str | None] = mapped_column(String(60))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        Index("ix_stock_movements_level", "product_id", "warehouse_id", "id"),
        Index("ix_stock_movements_warehouse_id", "warehouse_id", "id"),
        Index("ix_stock_movements_serial_id", "serial_id"),
        Index("ix_stock_movements_source", "source_type", "source_id"),
        Index("ix_stock_movements_at", "at"),
        MovementKind.check_constraint("kind", name="kind_allowed", nullable=False),
    )


class SerialUnit(TenantBase):
    """One numbered unit: where it is now (a warehouse while in stock) and what became of it."""

    __tablename__ = "serial_units"

    id: Mapped[uuid.UUID] = uuid_pk()
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    serial_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # A serial number names one unit of a product: it is in one place at a time, sold once.
        UniqueConstraint("product_id", "serial_number", name="uq_serial_units_product_serial"),
        Index("ix_serial_units_serial_number", "serial_number"),
        Index("ix_serial_units_warehouse_id", "warehouse_id", "product_id"),
        SerialStatus.check_constraint("status", name="status_allowed", nullable=False),
        CheckConstraint(
            "(status = 'in_stock') = (warehouse_id IS NOT NULL)", name="in_stock_has_a_warehouse"
        ),
    )


# Append-only, enforced by PostgreSQL itself, as for the audit log. Created with the table (new
# tenants) and by tenant migration 0011 (existing ones, from its frozen copy).
LEDGER_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.stock_movements_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
LEDGER_TRIGGER = (
    "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON {schema}.stock_movements "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.stock_movements_append_only()"
)


@event.listens_for(StockMovement.__table__, "after_create")
def _make_append_only(table: Any, connection: Any, **kw: Any) -> None:
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    schema = '"' + translate.get(table.schema, table.schema).replace('"', '""') + '"'
    connection.exec_driver_sql(LEDGER_FUNCTION.format(schema=schema))
    connection.exec_driver_sql(LEDGER_TRIGGER.format(schema=schema))
