"""Platform tables in ``public``: operators and their sessions, the platform audit log, the usage
cache the console reads, one-time tokens (email verification, support entry) and recorded mail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import PlatformBase, created_at_col, uuid_pk


class PlatformOperator(PlatformBase):
    __tablename__ = "platform_operators"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_col()


class OperatorSession(PlatformBase):
    __tablename__ = "operator_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[uuid.UUID]
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_col()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlatformAuditEntry(PlatformBase):
    """One operator action (or a system one: trial expiry, purge). Append-only (a trigger refuses
    updates and deletes). ``operator_email`` is "system" or "cli:<user>" when no operator acted."""

    __tablename__ = "platform_audit"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = created_at_col()
    operator_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    operator_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    tenant_slug: Mapped[str | None] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    ip: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_platform_audit_at", "at"),
        Index("ix_platform_audit_tenant_slug_at", "tenant_slug", "at"),
        Index("ix_platform_audit_action_at", "action", "at"),
    )


class TenantUsage(PlatformBase):
    """What the console shows per tenant, refreshed by a cron job (one table read for the list,
    however many tenants there are). Never read on a tenant's request path."""

    __tablename__ = "tenant_usage"

    tenant_slug: Mapped[str] = mapped_column(String(30), primary_key=True)
    users: Mapped[int | None] = mapped_column(Integer)
    customers: Mapped[int | None] = mapped_column(Integer)
    storage_bytes: Mapped[int | None] = mapped_column(BigInteger)
    api_calls_today: Mapped[int | None] = mapped_column(Integer)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_backup_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A copy of the tenant's support grant (its own schema holds the real one).
    support_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class OneTimeToken(PlatformBase):
    """A signed link's record: redeeming it sets ``used_at`` once (email verification, support entry)."""

    __tablename__ = "one_time_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    tenant_slug: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = created_at_col()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_one_time_tokens_tenant_slug_purpose", "tenant_slug", "purpose"),)


class OutboxMail(PlatformBase):
    """Every email the platform sent or recorded (``transport`` recording|smtp), newest read first."""

    __tablename__ = "outbox_mail"

    id: Mapped[uuid.UUID] = uuid_pk()
    created_at: Mapped[datetime] = created_at_col()
    kind: Mapped[str] = mapped_column(String(30))
    tenant_slug: Mapped[str | None] = mapped_column(String(30))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    transport: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10))  # recorded | sent | failed
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_mail_created_at", "created_at"),
        Index("ix_outbox_mail_to_addr", "to_addr"),
    )
