"""workflows as data: versioned workflow definitions and the stage history of records

Existing tenants get the default customer lifecycle as version 1 (潜在 lead → 意向 interested →
成交 won → 流失 lost, with re-activation); its state keys are the status values customers already
store, so every existing customer stays in a valid state. The new permission ``workflows:manage``
goes to the roles made from the owner, admin and manager templates (the templates in
app.accounts.permissions grant it to new tenants). Literal here: migrations never import
application code.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.helpers import quoted_schema, revoke_permissions

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSION = "workflows:manage"
GRANTED_TO_TEMPLATES = ("owner", "admin", "manager")

_STATES = [
    ("lead", "潜在", "Lead", "open"),
    ("interested", "意向", "Interested", "open"),
    ("won", "成交", "Won", "won"),
    ("lost", "流失", "Lost", "lost"),
]
_MOVES = [
    ("lead", "interested"),
    ("lead", "won"),
    ("lead", "lost"),
    ("interested", "lead"),
    ("interested", "won"),
    ("interested", "lost"),
    ("won", "interested"),
    ("won", "lost"),
    ("lost", "lead"),
    ("lost", "interested"),
]
CUSTOMER_WORKFLOW = {
    "states": [
        {"key": k, "label": {"zh_CN": zh, "en": en}, "category": c, "position": i}
        for i, (k, zh, en, c) in enumerate(_STATES)
    ],
    "transitions": [{"from": a, "to": b} for a, b in _MOVES],
}


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("entity", "version", name="uq_workflows_entity_version"),
        schema="tenant",
    )
    op.create_index(
        "ix_workflows_current",
        "workflows",
        ["entity"],
        unique=True,
        schema="tenant",
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "stage_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_history")),
        schema="tenant",
    )
    op.create_index(
        "ix_stage_history_record",
        "stage_history",
        ["entity", "record_id", "id"],
        unique=False,
        schema="tenant",
    )
    op.execute(
        sa.text(
            f"INSERT INTO {quoted_schema()}.workflows (entity, version, is_current, definition) "
            "VALUES ('customer', 1, true, CAST(:definition AS jsonb))"
        ).bindparams(definition=json.dumps(CUSTOMER_WORKFLOW, ensure_ascii=False))
    )
    # Stored sorted and without duplicates, like every permission rewrite since 0006.
    op.execute(
        sa.text(
            f"UPDATE {quoted_schema()}.roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest("
            "array_append(permissions, CAST(:p AS varchar(60)))) AS p ORDER BY p) "
            "WHERE template = ANY(CAST(:keys AS varchar(40)[])) AND NOT (:p = ANY(permissions))"
        ).bindparams(p=PERMISSION, keys=list(GRANTED_TO_TEMPLATES))
    )


def downgrade() -> None:
    revoke_permissions([PERMISSION])
    op.drop_index("ix_stage_history_record", table_name="stage_history", schema="tenant")
    op.drop_table("stage_history", schema="tenant")
    op.drop_index("ix_workflows_current", table_name="workflows", schema="tenant")
    op.drop_table("workflows", schema="tenant")
