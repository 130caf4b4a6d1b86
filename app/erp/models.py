"""Tenant tables of ERP sync: webhook endpoints, their delivery log, and external ids of records
upserted by an ERP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col
from app.kit.model import RecordMixin


class WebhookEndpoint(RecordMixin, TenantBase):
    """A URL of the tenant's ERP (or any integrator) that receives the events it picked."""

    __tablename__ = "webhook_endpoints"

    name: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))
    # The signing secret, sealed (app.crypto); shown once, when the endpoint is created.
    secret: Mapped[str] = mapped_column(String(300))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_webhook_endpoints_created_at_id", "created_at", "id"),)


class WebhookDelivery(TenantBase):
    """One event on its way to one endpoint: the delivery log and the retry schedule."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # The outbox event it carries: one delivery per event and endpoint, however often the relay runs.
    event_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_allowed"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )


class ExternalRef(TenantBase):
    """A record known to an outside system by its own id (``product`` ``ERP-4711`` → our product)."""

    __tablename__ = "external_refs"

    entity: Mapped[str] = mapped_column(String(30), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # A digest of the last payload applied: the same payload again changes nothing.
    digest: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_external_refs_record_id", "record_id"),)


class ErpConnector(TenantBase):
    """The tenant's ERP connector (one row): the switch, where the ERP is (an HTTP JSON API or a CSV
    folder), how its fields map to ours, and how far each pull and push has got (the cursors)."""

    __tablename__ = "erp_connector"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    mode: Mapped[str] = mapped_column(String(8), default="http", server_default="http")
    base_url: Mapped[str | None] = mapped_column(String(500))
    # The bearer token, sealed (app.crypto); never shown again once saved.
    token: Mapped[str | None] = mapped_column(String(500))
    csv_folder: Mapped[str | None] = mapped_column(String(500))
    # ERP field → our field, for product rows and stock rows ({"ItemNo": "external_id", ...}).
    product_mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    stock_mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # CSV mode: the folder the orders are written to, and CSV header → our order field (its columns).
    outbound_folder: Mapped[str | None] = mapped_column(String(500))
    order_mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # The ERP's own updated-since values of the last rows pulled; "<updated at>|<id>" of the last
    # order pushed.
    products_cursor: Mapped[str | None] = mapped_column(String(64))
    stock_cursor: Mapped[str | None] = mapped_column(String(64))
    orders_cursor: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("mode IN ('http', 'csv')", name="mode_allowed"),
    )


class ErpSyncRun(TenantBase):
    """One run of the connector: what it pulled and pushed, and each record it could not take."""

    __tablename__ = "erp_sync_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(String(10), default="schedule")
    # running → ok (every record taken), partial (some refused), failed (the ERP could not be reached).
    status: Mapped[str] = mapped_column(String(10), default="running")
    products_created: Mapped[int] = mapped_column(Integer, default=0)
    products_updated: Mapped[int] = mapped_column(Integer, default=0)
    products_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    stock_updated: Mapped[int] = mapped_column(Integer, default=0)
    stock_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    orders_pushed: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"what": "product" | "stock" | "order", "ref": the record's id, "errors": ["field: code"]}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # The order files written in CSV mode (names in the outbound folder).
    files: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")

    __table_args__ = (
        CheckConstraint("status IN ('running', 'ok', 'partial', 'failed')", name="status_allowed"),
        Index("ix_erp_sync_runs_started_at", "started_at"),
    )
