"""The tenant table of quick notes on a customer's timeline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase
from app.kit.model import RecordMixin


class CustomerNote(RecordMixin, TenantBase):
    """A quick note: text, the colleagues it @mentions, files attached (stored per tenant)."""

    __tablename__ = "customer_notes"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    # [{"name": "报价单.pdf", "file": "<stored name>", "size": 1234, "type": "application/pdf"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)

    __table_args__ = (Index("ix_customer_notes_customer_id", "customer_id", "created_at"),)
