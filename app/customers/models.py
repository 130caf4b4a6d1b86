"""Tenant tables for customers and their tags."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk
from app.kit.pinyin_sort import pinyin_column


class Customer(TenantBase):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(100))
    # The name's pinyin sort key (安 before 张), kept by app.kit.pinyin_sort.
    name_pinyin: Mapped[str] = pinyin_column("name")
    kind: Mapped[str] = mapped_column(String(16))  # individual | company
    gender: Mapped[str | None] = mapped_column(String(8))  # male | female | unknown
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    province: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(30))
    district: Mapped[str | None] = mapped_column(String(30))
    address_detail: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))  # lead | interested | won | lost
    tier: Mapped[str | None] = mapped_column(String(16))  # normal | silver | gold | vip
    # Who set the tier: "manual" (a person: the tenant's tier rules keep it) or "rule" (app.tiers).
    tier_source: Mapped[str] = mapped_column(String(8), default="rule", server_default="rule")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    birthday: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # Values of per-tenant custom fields (roadmap: customer 360), validated by the service.
    custom: Mapped[dict] = mapped_column(JSONB, server_default="{}", default=dict)
    # Search grams (CJK bigrams, digit trigrams, tokens): see app.search.grams.
    search_grams: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # The normalised text the grams came from, for the LIKE recheck (order and adjacency).
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_col()
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The newest follow-up, order or claim from a pool (NULL: none yet), kept by PostgreSQL's
    # triggers (app.leads.activity); the pool's return rule reads it through ix_customers_idle.
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_customers_search_grams", "search_grams", postgresql_using="gin"),
        Index("ix_customers_owner_id", "owner_id"),
        Index("ix_customers_created_at_id", "created_at", "id"),
        Index("ix_customers_updated_at_id", "updated_at", "id"),
        Index("ix_customers_name_id", "name", "id"),
        Index("ix_customers_name_pinyin_id", "name_pinyin", "id"),
        Index("ix_customers_status", "status"),
        # The home page's counts (by stage, in the viewer's scope, the viewer's own): an index-only
        # scan of live customers instead of reading every wide row (migration 0023).
        Index(
            "ix_customers_live_status_owner",
            "status",
            "owner_id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # Custom-field equality filters (custom @> {"key": value}); ranges cast per field (app.customfields).
        Index(
            "ix_customers_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
        # The return rule's candidates: owned live customers by how long they have been idle (0025).
        Index(
            "ix_customers_idle",
            text("GREATEST(created_at, last_activity_at)"),
            "id",
            postgresql_where=text("owner_id IS NOT NULL AND deleted_at IS NULL"),
        ),
    )


class Tag(TenantBase):
    __tablename__ = "tags"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(30), unique=True)
    color: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_col()


class CustomerTag(TenantBase):
    __tablename__ = "customer_tags"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_customer_tags_tag_id", "tag_id"),)
