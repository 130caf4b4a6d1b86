"""Tenant tables for sensitive values, their keys, consents, data-subject exports and erasures."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class DataKey(TenantBase):
    """One of the tenant's data keys, wrapped (AES-GCM) by the platform's master key.

    ``purpose`` "encrypt" keys seal values (the newest version seals, every version still opens);
    the one "search" key makes the keyed hashes that find a value by its full text. Rotating the
    master key re-wraps these rows; the data keys themselves, and so the stored values, stay put.
    """

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    purpose: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[str] = mapped_column(Text)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_col()
    rewrapped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("purpose", "version"),)


class SensitiveValue(TenantBase):
    """One sensitive field of one record (a customer's ID card number): the ciphertext, a keyed
    hash for exact search, and the masked form pages show without decrypting."""

    __tablename__ = "sensitive_values"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    search_hash: Mapped[str] = mapped_column(String(64))
    masked: Mapped[str] = mapped_column(String(40))
    key_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = created_at_col()
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        Index("ix_sensitive_values_lookup", "entity", "field", "search_hash"),
        Index("ix_sensitive_values_key_version", "key_version"),
    )


class Consent(TenantBase):
    """A customer's consent to one purpose: when, how and under which policy version it was given,
    and when it was withdrawn (a withdrawn consent stays as evidence; a new one is a new row)."""

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = uuid_pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    policy_version: Mapped[str] = mapped_column(String(30))
    given_at: Mapped[datetime] = created_at_col()
    given_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    withdraw_channel: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (Index("ix_consents_customer_id_purpose", "customer_id", "purpose"),)


class SubjectExportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SubjectExport(TenantBase):
    """A data-subject export (all of one person's data as a ZIP), downloadable by its requester only."""

    __tablename__ = "subject_exports"

    id: Mapped[uuid.UUID] = uuid_pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    requested_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(12), default=SubjectExportStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when a run claims the export: the lost-job sweep (app.kit.jobs) judges a run by it.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_subject_exports_customer_id", "customer_id"),)


class Erasure(TenantBase):
    """A customer anonymised on request or by the retention rule (the customer row stays, for orders)."""

    __tablename__ = "erasures"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(12))  # request | retention
    erased_at: Mapped[datetime] = created_at_col()
    erased_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class PrivacySettings(TenantBase):
    """The tenant's retention rule: customers inactive for this many years are reported, then
    anonymised on confirmation (None: no rule)."""

    __tablename__ = "privacy_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    retention_years: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = created_at_col()
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
