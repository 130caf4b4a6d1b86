"""The tenant table of units: one appliance a customer owns, where it came from and its warranty."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase
from app.kit.model import RecordMixin
from app.units.fields import UnitStatus


class Unit(RecordMixin, TenantBase):
    """A unit registered to a customer: by the delivery of an order (one per serial number) or by
    hand. ``serial_number`` is empty for goods sold without serial numbers."""

    __tablename__ = "units"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"))
    bought_on: Mapped[date] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    installed_on: Mapped[date | None] = mapped_column(Date)
    installation_address: Mapped[str | None] = mapped_column(String(300))
    warranty_ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=UnitStatus.IN_USE.value)

    __table_args__ = (
        Index("ix_units_customer_id", "customer_id", "created_at"),
        Index("ix_units_serial_number", "serial_number", postgresql_where=text("serial_number IS NOT NULL")),
        Index("ix_units_order_id", "order_id"),
        # A numbered unit is in use at one customer at a time (a replaced or scrapped one frees it);
        # a delivery's completion registers it once however often it is retried.
        Index(
            "uq_units_serial_in_use",
            "product_id",
            "serial_number",
            unique=True,
            postgresql_where=text("serial_number IS NOT NULL AND deleted_at IS NULL AND status = 'in_use'"),
        ),
        Index(
            "uq_units_order_line_serial",
            "order_line_id",
            "serial_number",
            unique=True,
            postgresql_where=text("order_line_id IS NOT NULL AND serial_number IS NOT NULL"),
        ),
        UnitStatus.check_constraint("status", name="status_allowed", nullable=False),
    )
