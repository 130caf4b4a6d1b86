"""The ``tier.recompute`` entry action: an order entering a stage that carries it (the default order
workflow puts it on 已完成, 已取消 and 已退货) re-rates the order's customer by the tenant's tier rules,
in the move's transaction (``app.workflows.actions``)."""

from __future__ import annotations

from app.kit.enums import N_
from app.tiers.service import recompute_customer
from app.workflows.actions import ActionKindSpec, ActionRun, register_action

TIER_RECOMPUTE_KIND = "tier.recompute"


async def _recompute(run: ActionRun) -> None:
    customer_id = getattr(run.record, "customer_id", None)
    if customer_id is not None:
        await recompute_customer(run.session, run.system_actor(), customer_id)


TIER_RECOMPUTE = register_action(
    ActionKindSpec(
        TIER_RECOMPUTE_KIND,
        N_("Re-rate the customer's tier"),
        _recompute,
        entities=("order",),
        description=N_("Apply the tier rules to the order's customer (when the rules are switched on)."),
    )
)
