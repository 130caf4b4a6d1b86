from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String, event
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col


class AuditRecord(TenantBase):
    """Who changed what, from where. Rows are never updated or deleted (a trigger refuses it)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = created_at_col()
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_label: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    ip: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_actor_id", "actor_id"),
        Index("ix_audit_log_at", "at"),
    )


# Append-only, enforced by PostgreSQL itself: a trigger refuses UPDATE and DELETE on audit rows.
# Created with the table (new tenants) and by tenant migration 0003 (existing ones). The function
# lives in the tenant's own schema, so backups, restores and Citus placement carry it along.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TRIGGER = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {schema}.audit_log "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.audit_log_append_only()"
)


@event.listens_for(AuditRecord.__table__, "after_create")
def _make_append_only(table: Any, connection: Any, **kw: Any) -> None:
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    schema = '"' + translate.get(table.schema, table.schema).replace('"', '""') + '"'
    connection.exec_driver_sql(APPEND_ONLY_FUNCTION.format(schema=schema))
    connection.exec_driver_sql(APPEND_ONLY_TRIGGER.format(schema=schema))
