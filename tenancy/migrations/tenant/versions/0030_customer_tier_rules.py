"""customer tier rules over order history (helper H6: issue #10 item 8)

The tenant's tier rules are one row (``tier_rules``: the switch, off; the rules per tier as JSON; the
nightly pass's day and outcome). Customers gain ``tier_source``: ``manual`` (a person set the tier: the
rules keep it) or ``rule``. Existing customers with a tier were set by hand, so they become manual;
those without one follow the rules once the tenant switches them on.

A tenant's stored order workflow gains the ``tier.recompute`` entry action on its stages of the done
and cancelled categories (completed, cancelled, returned), as a new version (the old one retired), as
0017 did for the stock actions; a stage that already has it is left alone. Tenants that never stored
an order workflow read the code's default, which carries it. Downgrade strips it again, drops the
column and the table. No new permission: the rules are managed under settings:manage.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import S, quoted_schema

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "tier.recompute"
CATEGORIES = ("done", "cancelled")


def _with_action(definition: dict[str, Any]) -> dict[str, Any]:
    states = []
    for state in definition.get("states") or []:
        actions = list(state.get("on_enter") or [])
        if state.get("category") in CATEGORIES and not any(a.get("kind") == KIND for a in actions):
            state = {**state, "on_enter": [*actions, {"kind": KIND}]}
        states.append(state)
    return {**definition, "states": states}


def _without_action(definition: dict[str, Any]) -> dict[str, Any]:
    states = []
    for state in definition.get("states") or []:
        actions = [a for a in state.get("on_enter") or [] if a.get("kind") != KIND]
        state = {k: v for k, v in state.items() if k != "on_enter"}
        if actions:
            state["on_enter"] = actions
        states.append(state)
    return {**definition, "states": states}


def _rewrite(change: Any) -> None:
    table = f"{quoted_schema()}.workflows"
    bind = op.get_bind()
    row = bind.execute(
        sa.text(f"SELECT id, version, definition FROM {table} WHERE entity = 'order' AND is_current")
    ).first()
    if row is None:
        return
    definition = row.definition if isinstance(row.definition, dict) else json.loads(row.definition)
    changed = change(definition)
    if changed == definition:
        return
    bind.execute(sa.text(f"UPDATE {table} SET is_current = false WHERE id = :id").bindparams(id=row.id))
    bind.execute(
        sa.text(
            f"INSERT INTO {table} (entity, version, is_current, definition) "
            "VALUES ('order', :version, true, CAST(:definition AS jsonb))"
        ).bindparams(version=row.version + 1, definition=json.dumps(changed, ensure_ascii=False))
    )


def upgrade() -> None:
    op.create_table(
        "tier_rules",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.Column("run_on", sa.Date(), nullable=True),
        sa.Column("run_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_customers", sa.Integer(), nullable=True),
        sa.Column("run_changed", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_tier_rules_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_rules")),
        schema=S,
    )
    op.add_column(
        "customers",
        sa.Column("tier_source", sa.String(length=8), server_default="rule", nullable=False),
        schema=tenant_schema(),
    )
    op.execute(
        sa.text(f"UPDATE {quoted_schema()}.customers SET tier_source = 'manual' WHERE tier IS NOT NULL")
    )
    _rewrite(_with_action)


def downgrade() -> None:
    _rewrite(_without_action)
    op.drop_column("customers", "tier_source", schema=tenant_schema())
    op.drop_table("tier_rules", schema=S)
