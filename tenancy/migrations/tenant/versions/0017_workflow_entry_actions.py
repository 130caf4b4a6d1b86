"""workflow entry actions; staff and catalog on the kit lists (helper A2: issue #7)

Orders' stock moves become entry actions of the order workflow's states (stock.reserve on
approved, stock.issue on shipped, stock.release on cancelled, stock.return on returned) instead of
being keyed by stage names in code. A tenant's stored order workflow gains them as a new version
(the old one retired, so records moved under it keep their history), on the stages that still carry
those keys; a stage that already has the action is left alone. Tenants that never stored an order
workflow read the code's default, which carries them already.

Downgrade strips the stock actions again, as a new version too.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.tenant.helpers import quoted_schema

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# stage key → the entry action it gets (as app/orders/entity.py STOCK_ACTIONS has them).
STOCK_ACTIONS = {
    "approved": "stock.reserve",
    "shipped": "stock.issue",
    "cancelled": "stock.release",
    "returned": "stock.return",
}


def _with_actions(definition: dict[str, Any]) -> dict[str, Any]:
    states = []
    for state in definition.get("states") or []:
        kind = STOCK_ACTIONS.get(state.get("key"))
        actions = list(state.get("on_enter") or [])
        if kind is not None and not any(a.get("kind") == kind for a in actions):
            actions.append({"kind": kind})
            state = {**state, "on_enter": actions}
        states.append(state)
    return {**definition, "states": states}


def _without_actions(definition: dict[str, Any]) -> dict[str, Any]:
    states = []
    for state in definition.get("states") or []:
        actions = [a for a in state.get("on_enter") or [] if not str(a.get("kind", "")).startswith("stock.")]
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
    _rewrite(_with_actions)


def downgrade() -> None:
    _rewrite(_without_actions)
