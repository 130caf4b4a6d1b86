"""Tenant tables of stocktake: a count sheet per warehouse (optionally one category) and its lines.

A sheet remembers the ledger's last line when it was opened (``snapshot_movement_id``): what the
warehouse should hold is the ledger summed up to that line, so goods that move while people count
are neither counted as missing nor as found. Approval posts the differences as adjustments.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, uuid_pk
from app.kit.model import RecordMixin
from app.stocktake.fields import CountStatus


class StockCount(RecordMixin, TenantBase):
    __tablename__ = "stock_counts"

    number: Mapped[str] = mapped_column(String(30))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("product_categories.id"))
    status: Mapped[str] = mapped_column(String(12))
    # The ledger as it stood when counting began: its last line's id.
    snapshot_movement_id: Mapped[int] = mapped_column(BigInteger)
    snapshot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The ledger batches the approval posted (one adjustment per product with a difference).
    adjustment_batches: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)

    __table_args__ = (
        Index("uq_stock_counts_number", "number", unique=True),
        Index("ix_stock_counts_warehouse_id", "warehouse_id", "created_at"),
        CountStatus.check_constraint("status", name="status_allowed", nullable=False),
    )


class StockCountLine(TenantBase):
    """One product on a sheet: what the ledger says at the snapshot, what was counted."""

    __tablename__ = "stock_count_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    count_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_counts.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    expected: Mapped[int] = mapped_column(Integer, default=0)
    counted: Mapped[int | None] = mapped_column(Integer)
    expected_serials: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    counted_serials: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    counted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (UniqueConstraint("count_id", "product_id", name="uq_stock_count_lines_product"),)
