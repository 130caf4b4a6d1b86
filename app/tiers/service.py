"""Tier rules: the settings verbs (read, save, preview), the recompute of one customer when an order
completes or is returned (``app.tiers.actions``) and the nightly pass over a tenant (the worker's
cron, ``workers/jobs/tiers.py``).

The switch is off by default: every tier stays as people set it. Switched on, the rules give every
live customer whose tier was not set by hand (``customers.tier_source = 'rule'``) the highest tier
whose conditions hold (``app.tiers.rules``); a tier a person sets in the customer form is marked
``manual`` and kept, until the rules are saved with "re-rate hand-set tiers too".

Each customer whose tier changes gets one audit record (``customer``/``tier``: the entry on their
timeline); a nightly pass also writes one audit record for the whole pass (``tier_rules``/``recompute``
with its counts). The pass goes in chunks of customers in id order, a transaction each, so it holds
only one chunk's changed rows locked at a time; it runs once per tenant and day (``run_on`` claimed
first; a claim whose worker died is taken over after ``STALE_CLAIM``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.audit import service as audit
from app.db import Database
from app.domain import Actor, PermissionDenied, ValidationFailed
from app.kit.fields import Errors, Flag
from app.tiers import repository as repo
from app.tiers.models import TierRules
from app.tiers.rules import FALLBACK, RULED_TIERS, TierRule, document_of, parse_rules, rules_from_document
from app.workflows import service as workflows
from app.workflows.definition import StateCategory

TIER_ZONE = ZoneInfo("Asia/Shanghai")  # the tenant's day the nightly pass counts in
CHUNK = 5000  # customers per transaction in the nightly pass
STALE_CLAIM = timedelta(hours=2)
TIERS = (FALLBACK, *reversed(RULED_TIERS))  # normal, silver, gold, vip

# The nightly pass acts as the system: its audit records name no staff member.
SYSTEM = Actor(
    user_id=uuid.UUID(int=0),
    name="系统",
    email="system",
    role_key="system",
    permissions=frozenset(),
    data_scope="all",
    via="system",
)


@dataclass(frozen=True)
class PreviewRow:
    tier: str
    customers: int  # the rules would put this many there
    moving_in: int  # of them, not there now


@dataclass
class PassResult:
    customers: int = 0
    changed: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)


async def completed_stages(session: AsyncSession) -> list[str]:
    """The order workflow's stages of the "done" category (completed orders), as the tenant has it."""
    workflow = await workflows.current(session, "order")
    return [s.key for s in workflow.definition.states if s.category == StateCategory.DONE]


def _snapshot(row: TierRules) -> dict[str, Any]:
    return {"enabled": row.enabled, "rules": row.rules or {}, "version": row.version}


class TierService:
    """The settings page's and the API's verbs, for holders of ``settings:manage``."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def require(self) -> None:
        if not self.actor.can(SETTINGS_MANAGE):
            raise PermissionDenied(SETTINGS_MANAGE)

    async def settings(self) -> TierRules:
        """The tenant's rules (switched off, no rules, until first saved)."""
        self.require()
        found = await repo.settings(self.session)
        return found or TierRules(id=1, enabled=False, rules={}, version=0)

    async def preview(self, raw_rules: Any, now: datetime | None = None) -> list[PreviewRow]:
        """How many customers the given (unsaved) rules would put in each tier, and how many of them
        would move there; refused like ``save`` when the rules are bad. Hand-set tiers are left out."""
        self.require()
        rules = parse_rules(raw_rules)
        counts = await repo.preview(
            self.session, rules, await completed_stages(self.session), now or datetime.now(UTC)
        )
        return [PreviewRow(t, *counts.get(t, (0, 0))) for t in TIERS]

    async def save(self, raw: Mapping[str, Any], now: datetime | None = None) -> TierRules:
        """Check and store the switch and the rules (every bad value at once, nothing kept then),
        against the version the caller read; with ``release_manual`` hand-set tiers follow the rules
        again. Switched on, the customers are then re-rated in chunks (``_rate_everyone``)."""
        self.require()
        try:
            errors = Errors()
            enabled = bool(Flag().clean(errors, "enabled", raw.get("enabled")))
            release = bool(Flag().clean(errors, "release_manual", raw.get("release_manual")))
            version = raw.get("version")
            rules: dict[str, TierRule] = {}
            try:
                rules = parse_rules(raw.get("rules") if raw.get("rules") is not None else {})
            except ValidationFailed as exc:  # reported with the other fields' errors
                errors.items.extend(exc.errors)
            if enabled and not any(r.used for r in rules.values()):
                errors.add("rules", "required", "switching the rules on needs at least one tier's conditions")
            errors.raise_if_any()
            row = await repo.settings(self.session, for_update=True)
            current = row.version if row else 0
            if version is not None and str(version) != str(current):
                errors.add("version", "stale", "the rules changed since you read them; reload and try again")
                errors.raise_if_any()
            before = _snapshot(row) if row else None
            if row is None:
                row = TierRules(id=1, version=0)
                self.session.add(row)
            row.enabled, row.rules = enabled, document_of(rules)
            row.version = current + 1
            row.updated_at, row.updated_by = datetime.now(UTC), self.actor.user_id
            await self.session.flush()
            after = _snapshot(row)
            released = await repo.release_manual(self.session) if release else 0
            if released:
                after["released_manual"] = released
            audit.record(
                self.session,
                self.actor,
                entity="tier_rules",
                entity_id=1,
                action="update" if before else "create",
                before=before,
                after=after,
            )
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        if enabled:
            await self._rate_everyone(row, now or datetime.now(UTC))
        return row

    async def _rate_everyone(self, row: TierRules, now: datetime) -> PassResult:
        """Every customer by the rules just saved, as the nightly pass does: id-ordered chunks, a
        transaction each (locks bounded by a chunk). Cut short, the rules stay saved and the next
        nightly pass finishes the job."""
        rules, done = rules_from_document(row.rules), await completed_stages(self.session)
        result, after = PassResult(), None
        try:
            while True:
                part = await repo.recompute(
                    self.session,
                    rules,
                    done,
                    now,
                    actor_id=self.actor.user_id if self.actor.via != "system" else None,
                    actor_label=self.actor.label,
                    after=after,
                    limit=CHUNK,
                )
                await self.session.commit()
                result.customers += part.seen
                result.changed += part.changed
                if part.last_id is None or part.seen < CHUNK:
                    return result
                after = part.last_id
        except BaseException:
            await self.session.rollback()
            raise


async def recompute_customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, now: datetime | None = None
) -> str | None:
    """Re-rate one customer in the caller's transaction (an order of theirs completed or came
    back); the tier they are given, or None when the rules are off or their tier was set by hand."""
    row = await repo.settings(session)
    if row is None or not row.enabled:
        return None
    await session.flush()  # the order's new stage is what the rules read
    chunk = await repo.recompute(
        session,
        rules_from_document(row.rules),
        await completed_stages(session),
        now or datetime.now(UTC),
        actor_id=actor.user_id if actor.via != "system" else None,
        actor_label=actor.label,
        only=customer_id,
    )
    return next(iter(chunk.by_tier), None)


async def nightly_pass(
    db: Database, schema: str, now: datetime | None = None, chunk: int = CHUNK
) -> PassResult | None:
    """The nightly recompute of one tenant, once per its day: None when the rules are off or the
    day's pass is done (or running elsewhere). Chunks of ``chunk`` customers, a transaction each;
    then one audit record for the pass."""
    now = now or datetime.now(UTC)
    day = now.astimezone(TIER_ZONE).date()
    async with db.tenant_session(schema) as session:
        row = await repo.claim_day(session, day, now, STALE_CLAIM)
        await session.commit()
        if row is None:
            return None
        rules = rules_from_document(row.rules)
        done = await completed_stages(session)
        await session.commit()
    result = PassResult()
    after: uuid.UUID | None = None
    while True:
        async with db.tenant_session(schema) as session:
            part = await repo.recompute(
                session, rules, done, now, actor_id=None, actor_label=SYSTEM.label, after=after, limit=chunk
            )
            await session.commit()
        result.customers += part.seen
        result.changed += part.changed
        for tier, n in part.by_tier.items():
            result.by_tier[tier] = result.by_tier.get(tier, 0) + n
        if part.last_id is None or part.seen < chunk:
            break
        after = part.last_id
    async with db.tenant_session(schema) as session:
        await repo.finish_day(session, day, result.customers, result.changed)
        audit.record(
            session,
            SYSTEM,
            entity="tier_rules",
            entity_id=1,
            action="recompute",
            before=None,
            after={
                "day": day.isoformat(),
                "customers": result.customers,
                "changed": result.changed,
                "by_tier": result.by_tier,
            },
        )
        await session.commit()
    return result
