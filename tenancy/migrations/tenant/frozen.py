"""Column sets frozen for migrations: what the kit's mixins (app/kit/model.py) looked like at a revision.

Migrations never import live application code, so a migration that creates a kit entity's table
takes its common columns from here. When RecordMixin changes, add ``record_columns_v2`` beside this
one (and a migration that alters existing tables); never edit a frozen set.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def record_columns_v1() -> list[sa.Column]:
    """RecordMixin as of revision 0009: id, version, custom values, created/updated/deleted at and by."""
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.UUID(), nullable=True),
    ]


def owned_search_columns_v1() -> list[sa.Column]:
    """An owned, searchable record's common columns after its own, as of revision 0015 (SearchMixin,
    RecordMixin, OwnedMixin in the models' order): search_grams, search_text, the record's, owner_id."""
    return [
        sa.Column("search_grams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        *record_columns_v1(),
        sa.Column("owner_id", sa.UUID(), nullable=True),
    ]


def owner_key_v1(table: str) -> sa.ForeignKeyConstraint:
    """OwnedMixin's foreign key as of revision 0015: ``table.owner_id`` → users, named by convention."""
    return sa.ForeignKeyConstraint(["owner_id"], ["tenant.users.id"], name=op.f(f"fk_{table}_owner_id_users"))
