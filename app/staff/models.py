"""An invitation to join a tenant's staff: mailed as a signed link, accepted once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class StaffInvitation(TenantBase):
    """Pending until accepted (``accepted_at``), withdrawn (``revoked_at``) or past ``expires_at``.

    The link carries the invitation's id signed with the tenant's slug and the expiry; the row says
    whether it was already used, so a second visit gets a clear page instead of a second account.
    """

    __tablename__ = "staff_invitations"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(60))
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at_col()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_staff_invitations_email", "email"),)
