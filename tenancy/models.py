"""Platform tables in the ``public`` schema."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PLATFORM_SCHEMA = "public"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class PlatformBase(DeclarativeBase):
    metadata = MetaData(schema=PLATFORM_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantStatus:
    """Where a tenant is in its life.

    ``deleted``: refused like ``suspended``, its schema kept (and backed up) until ``delete_after``,
    restorable until then; ``purged``: the schema is gone, the row stays as the record.
    """

    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    PURGED = "purged"
    ALL = (ACTIVE, SUSPENDED, DELETED, PURGED)
    # Statuses whose schema exists (migrations, backups and usage refreshes go over these).
    WITH_SCHEMA = (ACTIVE, SUSPENDED, DELETED)


class SuspendedReason:
    OPERATOR = "operator"
    TRIAL_EXPIRED = "trial_expired"


class Tenant(PlatformBase):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    slug: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default=TenantStatus.ACTIVE)
    admin_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_reason: Mapped[str | None] = mapped_column(String(20))
    # The plan (app.platform.plans) and, on a trial, when it ends. The limits that request paths
    # enforce are mirrored into the tenant's own schema (tenant_settings "plan").
    plan: Mapped[str] = mapped_column(String(20), server_default="trial")
    trial_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Self-service sign-ups start unverified: the owner must open the emailed link before logging in.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delete_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What a restore goes back to (a tenant deleted while suspended comes back suspended).
    status_before_delete: Mapped[str | None] = mapped_column(String(16))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
