"""The tenant's assignment rules, kept by its managers: which leads (region, product interest) go to
whom (a team, or everyone who works leads), round robin or by load; tried in position order."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Team
from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.kit.service import unit_of_work
from app.leads import repository as repo
from app.leads.entity import LEADS_MANAGE
from app.leads.fields import RuleStrategy
from app.leads.models import LeadRule

_TEXT = {"name": 60, "province": 30, "city": 30, "product_category": 60}


def _require(actor: Actor) -> None:
    if not actor.can(LEADS_MANAGE):
        raise PermissionDenied(LEADS_MANAGE)


async def rules(session: AsyncSession, actor: Actor) -> list[LeadRule]:
    _require(actor)
    return await repo.all_rules(session)


async def add_rule(session: AsyncSession, actor: Actor, raw: dict[str, Any]) -> LeadRule:
    """A new rule from a form or the API: every problem at once."""
    _require(actor)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, limit in _TEXT.items():
        text = str(raw.get(name) or "").strip()
        if len(text) > limit:
            errors.append(FieldError(name, "too_long", f"must be at most {limit} characters"))
        values[name] = text or None
    if not values["name"]:
        errors.append(FieldError("name", "required", "is required"))
    strategy = RuleStrategy.parse(str(raw.get("strategy") or RuleStrategy.ROUND_ROBIN.value))
    if strategy is None:
        errors.append(FieldError("strategy", "invalid_choice", "is not a strategy"))
    team_id = None
    if raw.get("team_id"):
        try:
            team_id = uuid.UUID(str(raw["team_id"]))
        except ValueError:
            team_id = None
        if team_id is None or await session.get(Team, team_id) is None:
            errors.append(FieldError("team_id", "unknown_team", "is not a team of this dealer"))
    try:
        position = int(str(raw.get("position") or 0))
    except ValueError:
        errors.append(FieldError("position", "invalid", "must be a whole number"))
        position = 0
    if errors:
        raise ValidationFailed(errors)
    async with unit_of_work(session):
        rule = LeadRule(
            **values,
            strategy=(strategy or RuleStrategy.ROUND_ROBIN).value,
            team_id=team_id,
            position=position,
            active=True,
        )
        session.add(rule)
        await session.flush()
        audit.record(
            session,
            actor,
            entity="settings",
            entity_id=f"lead_rule:{rule.id}",
            action="create",
            before=None,
            after={**values, "strategy": rule.strategy, "team_id": str(team_id) if team_id else None},
        )
    return rule


async def remove_rule(session: AsyncSession, actor: Actor, rule_id: uuid.UUID) -> None:
    _require(actor)
    async with unit_of_work(session):
        rule = await session.get(LeadRule, rule_id)
        if rule is None:
            raise NotFound("lead_rule", rule_id)
        audit.record(
            session,
            actor,
            entity="settings",
            entity_id=f"lead_rule:{rule.id}",
            action="delete",
            before={"name": rule.name, "strategy": rule.strategy},
            after=None,
        )
        await session.delete(rule)


async def teams(session: AsyncSession, actor: Actor) -> list[Team]:
    """The teams a rule may name."""
    from app.staff.repository import teams as all_teams

    _require(actor)
    return list(await all_teams(session))
