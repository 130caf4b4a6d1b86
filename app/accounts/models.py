"""Tenant tables for staff, their roles, teams, sessions and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY, INET, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TenantBase, created_at_col, uuid_pk


class Role(TenantBase):
    """A named set of permission strings plus how much data its holders see."""

    __tablename__ = "roles"

    id: Mapped[uuid.UUID] = uuid_pk()
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    data_scope: Mapped[str] = mapped_column(String(8))  # own | team | all
    created_at: Mapped[datetime] = created_at_col()
    # The template (app.accounts.permissions.TEMPLATES) the role was seeded or copied from: "reset to
    # template" restores it, and permissions a release adds reach the role by this key (app.roles).
    template: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Team(TenantBase):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = created_at_col()
    # The team's manager (a member, usually of the manager role). No foreign key: users already
    # point at teams, and the service checks the id (app.staff.service.set_team_manager).
    manager_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class User(TenantBase):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the staff member was last deactivated (离职); None while active.
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Added with a one-time password (or reset by an admin): the first login asks for a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # TOTP second factor: the secret is encrypted (app.crypto); recovery codes are stored hashed.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A secret being enrolled, sealed like ``totp_secret``; it replaces that one only once a code
    # from it is confirmed, so starting an enrolment never switches the active second factor off.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(200))
    # The last TOTP time step (unix time // 30) accepted for this user: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    created_at: Mapped[datetime] = created_at_col()

    role: Mapped[Role] = relationship(lazy="joined")


class UserSession(TenantBase):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    # active, or a half-finished login: second_factor (TOTP code due) / enroll_2fa (policy demands 2FA).
    stage: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    # Wrong codes typed into this half-login; at the limit the half-login is revoked.
    second_factor_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_col()
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(TenantBase):
    """A personal access token for integrators (``Authorization: Bearer``); stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "read" and/or "write" (app.accounts.service.TOKEN_SCOPES).
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    created_at: Mapped[datetime] = created_at_col()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginLock(TenantBase):
    """Failed password checks for one account from one source (an IPv4 /24 or IPv6 /64).

    The lock is per (account, source) so that a stranger failing on purpose locks out only
    themselves, never the account's owner signing in from elsewhere (app.accounts.lockout).
    """

    __tablename__ = "login_locks"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginAttempt(TenantBase):
    """Login history: every attempt, successful or not."""

    __tablename__ = "login_attempts"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(INET)
    at: Mapped[datetime] = created_at_col()
