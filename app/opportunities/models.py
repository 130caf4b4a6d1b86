"""Tenant tables of the sales pipeline: opportunities (kit records on the pipeline workflow) with
their products of interest, contracts (kit records on the contract workflow) and monthly targets."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, uuid_pk
from app.kit.model import OwnedMixin, RecordMixin, SearchMixin, search_index


class Opportunity(OwnedMixin, SearchMixin, RecordMixin, TenantBase):
    """A deal in the pipeline (商机): what a customer may buy, for how much, by when."""

    __tablename__ = "opportunities"

    name: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    # Which of the tenant's pipelines the deal is in (a workflow key; the stage is one of its stages).
    pipeline: Mapped[str] = mapped_column(String(40), default="default", server_default="default")
    stage: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    expected_close: Mapped[date | None] = mapped_column(Date)
    # The deal's own win probability in percent; None: the stage's (the pipeline's definition).
    probability: Mapped[int | None] = mapped_column(Integer)
    competitor: Mapped[str | None] = mapped_column(String(100))
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # Where it came from (a lead converted by the leads module) and what it became (an order).
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    # When it entered its current stage (time in stage on the board; history has every stay).
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        search_index("opportunities"),
        Index("ix_opportunities_customer_id", "customer_id"),
        Index("ix_opportunities_stage", "stage", postgresql_where=text("deleted_at IS NULL")),
        Index(
            "ix_opportunities_pipeline_stage",
            "pipeline",
            "stage",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_opportunities_expected_close", "expected_close"),
        Index("ix_opportunities_created_at_id", "created_at", "id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("probability IS NULL OR probability BETWEEN 0 AND 100", name="probability_range"),
    )


class OpportunityProduct(TenantBase):
    """A catalog product the customer is interested in, with the quantity and the price quoted."""

    __tablename__ = "opportunity_products"

    id: Mapped[uuid.UUID] = uuid_pk()
    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    __table_args__ = (
        Index("ix_opportunity_products_opportunity_id", "opportunity_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )


class Contract(OwnedMixin, SearchMixin, RecordMixin, TenantBase):
    """A signed sales contract (合同) with a customer, from an opportunity or for an order."""

    __tablename__ = "contracts"

    number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opportunities.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    signed_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    # [{"name": "合同.pdf", "file": "<stored name>", "size": 1234, "type": "application/pdf"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # The end date the owner was told about (the expiry sweep: once per end date).
    expiry_reminded_on: Mapped[date | None] = mapped_column(Date)
    # The shortest notice period (days) the owner was told about for that end date.
    expiry_notice_days: Mapped[int | None] = mapped_column(SmallInteger)

    __table_args__ = (
        search_index("contracts"),
        Index("uq_contracts_number", "number", unique=True, postgresql_where=text("deleted_at IS NULL")),
        Index("ix_contracts_customer_id", "customer_id"),
        Index("ix_contracts_ends_on", "ends_on"),
        Index("ix_contracts_created_at_id", "created_at", "id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )


class SalesTarget(TenantBase):
    """A month's revenue target (销售目标) for one salesperson or one team (exactly one of the two)."""

    __tablename__ = "sales_targets"

    id: Mapped[uuid.UUID] = uuid_pk()
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        Index(
            "uq_sales_targets_user_month",
            "user_id",
            "month",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL"),
        ),
        Index(
            "uq_sales_targets_team_month",
            "team_id",
            "month",
            unique=True,
            postgresql_where=text("team_id IS NOT NULL"),
        ),
        Index("ix_sales_targets_month", "month"),
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_holder"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
    )
