"""Plans and their quotas, defined in code; a tenant's plan lives on ``public.tenants`` and its
effective limits are mirrored into the tenant's own schema (``tenant_settings`` key ``plan``).

The mirror is what request paths read: a quota check never looks at ``public`` (and never at
another tenant), so a tenant schema keeps working wherever Citus places it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.tenant_settings.models import TenantSetting
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

PLAN_SETTING = "plan"
TRIAL = "trial"


@dataclass(frozen=True)
class Plan:
    """A plan's quotas; ``None`` means unlimited."""

    slug: str
    name: str  # English msgid, shown through the catalog
    max_users: int | None
    max_customers: int | None
    storage_mb: int | None
    api_calls_per_day: int | None
    trial_days: int | None = None

    def limit(self, resource: str) -> int | None:
        return {
            "users": self.max_users,
            "customers": self.max_customers,
            "storage_mb": self.storage_mb,
            "api_calls_per_day": self.api_calls_per_day,
        }[resource]


PLANS: dict[str, Plan] = {
    plan.slug: plan
    for plan in (
        Plan(
            TRIAL,
            "Trial",
            max_users=20,
            max_customers=5_000,
            storage_mb=1_024,
            api_calls_per_day=10_000,
            trial_days=14,
        ),
        Plan(
            "basic", "Basic", max_users=10, max_customers=10_000, storage_mb=5_120, api_calls_per_day=20_000
        ),
        Plan("pro", "Pro", max_users=50, max_customers=100_000, storage_mb=51_200, api_calls_per_day=200_000),
        Plan(
            "enterprise",
            "Enterprise",
            max_users=None,
            max_customers=None,
            storage_mb=None,
            api_calls_per_day=None,
        ),
    )
}
DEFAULT_PLAN = PLANS[TRIAL]
RESOURCES = ("users", "customers", "storage_mb", "api_calls_per_day")


class UnknownPlan(ValueError):
    pass


def get_plan(slug: str) -> Plan:
    try:
        return PLANS[slug]
    except KeyError as exc:
        raise UnknownPlan(slug) from exc


def trial_end(plan: Plan, start: datetime | None = None) -> datetime | None:
    if plan.trial_days is None:
        return None
    return (start or datetime.now(UTC)) + timedelta(days=plan.trial_days)


@dataclass(frozen=True)
class PlanLimits:
    """The mirror in the tenant schema: the plan's quotas as they apply to this tenant."""

    plan: str
    max_users: int | None
    max_customers: int | None
    storage_mb: int | None
    api_calls_per_day: int | None
    trial_ends_at: datetime | None = None

    @classmethod
    def of(cls, plan: Plan, trial_ends_at: datetime | None) -> PlanLimits:
        return cls(
            plan=plan.slug,
            max_users=plan.max_users,
            max_customers=plan.max_customers,
            storage_mb=plan.storage_mb,
            api_calls_per_day=plan.api_calls_per_day,
            trial_ends_at=trial_ends_at,
        )

    def limit(self, resource: str) -> int | None:
        return {
            "users": self.max_users,
            "customers": self.max_customers,
            "storage_mb": self.storage_mb,
            "api_calls_per_day": self.api_calls_per_day,
        }[resource]

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "max_users": self.max_users,
            "max_customers": self.max_customers,
            "storage_mb": self.storage_mb,
            "api_calls_per_day": self.api_calls_per_day,
            "trial_ends_at": self.trial_ends_at.isoformat() if self.trial_ends_at else None,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> PlanLimits:
        plan = PLANS.get(str(value.get("plan")), DEFAULT_PLAN)
        ends = value.get("trial_ends_at")
        return cls(
            plan=plan.slug,
            max_users=value.get("max_users", plan.max_users),
            max_customers=value.get("max_customers", plan.max_customers),
            storage_mb=value.get("storage_mb", plan.storage_mb),
            api_calls_per_day=value.get("api_calls_per_day", plan.api_calls_per_day),
            trial_ends_at=datetime.fromisoformat(ends) if ends else None,
        )


DEFAULT_LIMITS = PlanLimits.of(DEFAULT_PLAN, None)


async def tenant_limits(session: AsyncSession) -> PlanLimits:
    """The tenant's limits from its own schema; a schema from before plans existed gets the trial's."""
    row = await session.get(TenantSetting, PLAN_SETTING)
    return PlanLimits.from_json(row.value) if row is not None else DEFAULT_LIMITS


async def write_mirror(conn: AsyncConnection, schema: str, limits: PlanLimits) -> None:
    """Store the limits in ``schema`` on the caller's connection (joins its transaction)."""
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    value = limits.to_json()
    statement = pg_insert(TenantSetting).values(key=PLAN_SETTING, value=value, updated_at=text("now()"))
    await bound.execute(
        statement.on_conflict_do_update(
            index_elements=[TenantSetting.key], set_={"value": value, "updated_at": text("now()")}
        )
    )
    # Later statements on this connection address ``public`` again.
    await conn.execution_options(schema_translate_map=None)
