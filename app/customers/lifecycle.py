"""The customer lifecycle every tenant starts with (a workflow: app.workflows). Its state keys are
the status values customers store (``CustomerStatus``), so existing customers are always in one of
its stages; tenants rename, add, reorder and guard stages from there."""

from __future__ import annotations

from typing import Any

from app.customers.fields import CustomerStatus

# (key, zh-CN label, English label, category), in order.
STAGES = (
    (CustomerStatus.LEAD, "潜在", "Lead", "open"),
    (CustomerStatus.INTERESTED, "意向", "Interested", "open"),
    (CustomerStatus.WON, "成交", "Won", "won"),
    (CustomerStatus.LOST, "流失", "Lost", "lost"),
)
MOVES = (
    ("lead", "interested"),
    ("lead", "won"),  # a walk-in who buys on the spot
    ("lead", "lost"),
    ("interested", "lead"),  # interest cooled down: back to the pool
    ("interested", "won"),
    ("interested", "lost"),
    ("won", "interested"),  # a buyer interested in the next purchase
    ("won", "lost"),
    ("lost", "lead"),  # re-activation
    ("lost", "interested"),  # re-activation
)


def default_lifecycle() -> dict[str, Any]:
    """潜在 → 意向 → 成交 → 流失 with re-activation, as a workflow definition document."""
    return {
        "states": [
            {"key": str(key), "label": {"zh_CN": zh, "en": en}, "category": category, "position": i}
            for i, (key, zh, en, category) in enumerate(STAGES)
        ],
        "transitions": [{"from": a, "to": b} for a, b in MOVES],
    }
