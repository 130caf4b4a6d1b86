"""Monthly sales targets (per salesperson or team) and the forecast: the weighted pipeline by
expected close month against the targets, per person and per team, in the viewer's data scope.

A deal weighs its amount × its win probability: its own when it has one, else its stage's (the
pipeline's definition); a won stage counts in full, a lost one not at all.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SCOPE_ALL
from app.audit import service as audit
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.kit.fields import Errors, Ref
from app.kit.numbers import Money
from app.kit.scope import owners_for
from app.kit.service import unit_of_work
from app.opportunities import repository as repo
from app.opportunities.entity import OPPORTUNITIES_MANAGE, OPPORTUNITIES_READ, OPPORTUNITY
from app.opportunities.models import SalesTarget
from app.workflows import pipelines
from app.workflows.definition import StateCategory

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(-01)?$")
MAX_MONTHS = 12
ZERO = Decimal("0.00")


def parse_month(errors: Errors, name: str, raw: Any) -> date | None:
    """A month as ``YYYY-MM`` (or its first day, or a date object on the first)."""
    if isinstance(raw, date):
        if raw.day != 1:
            errors.add(name, "invalid_month", "must be a month (YYYY-MM)")
            return None
        return raw
    match = MONTH_RE.match(raw.strip()) if isinstance(raw, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        errors.add(name, "invalid_month", "must be a month (YYYY-MM)")
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def last_day(month: date) -> date:
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


@dataclass
class Cell:
    """One person's or team's month: the target, the weighted pipeline, what is won, what is open."""

    target: Decimal | None = None
    weighted: Decimal = ZERO
    won: Decimal = ZERO
    open: Decimal = ZERO
    deals: int = 0

    def add(self, other: Cell) -> None:
        self.weighted += other.weighted
        self.won += other.won
        self.open += other.open
        self.deals += other.deals

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.target - self.weighted


@dataclass
class Row:
    key: uuid.UUID | None  # the person or team (None: no team)
    name: str
    months: dict[date, Cell] = field(default_factory=dict)
    team_id: uuid.UUID | None = None


@dataclass
class Forecast:
    months: list[date]
    people: list[Row]
    teams: list[Row]
    total: Row


class SalesTargets:
    """The targets and forecast verbs of one actor on one session."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    async def _scope(self) -> tuple[list[uuid.UUID] | None, set[uuid.UUID] | None]:
        """Whose numbers the actor sees: the owners (None: all) and teams (None: all)."""
        owners = await owners_for(self.session, self.actor)
        if owners is None or self.actor.data_scope == SCOPE_ALL:
            return None, None
        teams = {self.actor.team_id} if self.actor.team_id is not None else set()
        return owners, teams

    async def set_target(self, raw: dict[str, Any]) -> SalesTarget:
        """Set a month's target of one salesperson (``user_id``) or one team (``team_id``) within the
        manager's scope; a second call for the same month replaces the amount."""
        if not self.actor.can(OPPORTUNITIES_MANAGE):
            raise PermissionDenied(OPPORTUNITIES_MANAGE)
        errors = Errors()
        month = parse_month(errors, "month", raw.get("month"))
        amount = Money(required=True).clean(errors, "amount", raw.get("amount"))
        user_id = Ref().clean(errors, "user_id", raw.get("user_id"))
        team_id = Ref().clean(errors, "team_id", raw.get("team_id"))
        if (user_id is None) == (team_id is None) and not errors.has("user_id") and not errors.has("team_id"):
            errors.add("user_id", "one_holder", "give either a salesperson or a team")
        errors.raise_if_any()
        owners, teams = await self._scope()
        staff = {s[0]: s for s in await repo.staff(self.session)}
        if user_id is not None and (user_id not in staff or (owners is not None and user_id not in owners)):
            # Someone outside the manager's team reads exactly like nobody.
            raise ValidationFailed([FieldError("user_id", "unknown_user", "is not a colleague you manage")])
        if team_id is not None and (
            team_id not in await repo.teams(self.session) or (teams is not None and team_id not in teams)
        ):
            raise ValidationFailed([FieldError("team_id", "unknown_team", "is not a team you manage")])
        assert month is not None and amount is not None
        async with unit_of_work(self.session):
            target = await repo.target_of(self.session, month, user_id, team_id)
            before = None
            if target is None:
                target = SalesTarget(month=month, user_id=user_id, team_id=team_id, amount=amount, version=1)
                self.session.add(target)
            else:
                before = {"amount": str(target.amount), "version": target.version}
                target.amount = amount
                target.version += 1
            target.updated_at = datetime.now(UTC)
            target.updated_by = self.actor.user_id
            await self.session.flush()
            audit.record(
                self.session,
                self.actor,
                entity="sales_target",
                entity_id=target.id,
                action="create" if before is None else "update",
                before=before,
                after={
                    "month": month.isoformat(),
                    "user_id": str(user_id) if user_id else None,
                    "team_id": str(team_id) if team_id else None,
                    "amount": str(amount),
                    "version": target.version,
                },
            )
        return target

    async def targets(self, first: date, months: int) -> list[SalesTarget]:
        """The targets the actor may see in ``months`` months from ``first``."""
        if not self.actor.can(OPPORTUNITIES_READ):
            raise PermissionDenied(OPPORTUNITIES_READ)
        self._check_range(months)
        owners, teams = await self._scope()
        found = await repo.targets_between(self.session, first, add_months(first, months - 1))
        return [
            t
            for t in found
            if (t.user_id is not None and (owners is None or t.user_id in owners))
            or (t.team_id is not None and (teams is None or t.team_id in teams))
        ]

    def _check_range(self, months: int) -> None:
        if not 1 <= months <= MAX_MONTHS:
            raise ValidationFailed(
                [FieldError("months", "out_of_range", f"must be between 1 and {MAX_MONTHS}")]
            )

    async def forecast(self, first: date, months: int = 3, pipeline: str | None = None) -> Forecast:
        """The weighted pipeline by expected close month against the targets, per person, per
        team and in total, for the deals and targets the actor may see: every pipeline's deals
        summed, each weighed by its own pipeline's stages, or ``pipeline``'s only."""
        if not self.actor.can(OPPORTUNITIES_READ):
            raise PermissionDenied(OPPORTUNITIES_READ)
        self._check_range(months)
        owners, _teams = await self._scope()
        span = [add_months(first, i) for i in range(months)]
        if pipeline is not None:
            await pipelines.resolve_known(self.session, OPPORTUNITY, pipeline)
        names = await pipelines.pipeline_names(self.session, OPPORTUNITY.key)
        definitions = await pipelines.stage_maps(self.session, OPPORTUNITY.key, list(names) or ["default"])
        staff = {s[0]: s for s in await repo.staff(self.session)}
        team_names = await repo.teams(self.session)
        people: dict[uuid.UUID | None, Row] = {}
        for owner, month, key, stage_key, own, amount, count in await repo.pipeline_sums(
            self.session, owners, span[0], last_day(span[-1]), pipeline
        ):
            member = staff.get(owner) if owner is not None else None
            row = people.setdefault(
                owner, Row(owner, member[1] if member else "—", team_id=member[2] if member else None)
            )
            cell = row.months.setdefault(month, Cell())
            definition = definitions.get(key)
            state = definition.state(stage_key) if definition is not None else None
            category = state.category if state is not None else StateCategory.OPEN
            if category == StateCategory.WON:
                cell.won += amount
                cell.weighted += amount
            elif category == StateCategory.OPEN:
                probability = (
                    own if own is not None else (state.probability if state and state.probability else 0)
                )
                cell.open += amount
                cell.weighted += (amount * probability / 100).quantize(Decimal("0.01"))
            cell.deals += count
        targets = await self.targets(first, months)
        team_rows: dict[uuid.UUID | None, Row] = {}
        for target in targets:
            if target.user_id is not None:
                member = staff.get(target.user_id)
                row = people.setdefault(
                    target.user_id,
                    Row(target.user_id, member[1] if member else "—", team_id=member[2] if member else None),
                )
            else:
                name = team_names.get(target.team_id, "—") if target.team_id else "—"
                row = team_rows.setdefault(target.team_id, Row(target.team_id, name))
            row.months.setdefault(target.month, Cell()).target = target.amount
        total = Row(None, "")
        for person in people.values():
            team = team_rows.setdefault(
                person.team_id,
                Row(person.team_id, team_names.get(person.team_id, "—") if person.team_id else "—"),
            )
            for month, cell in person.months.items():
                team.months.setdefault(month, Cell()).add(cell)
                total.months.setdefault(month, Cell()).add(cell)
        for team in team_rows.values():
            for month, cell in team.months.items():
                if cell.target is not None:
                    slot = total.months.setdefault(month, Cell())
                    slot.target = (slot.target or ZERO) + cell.target
        for row in [*people.values(), *team_rows.values(), total]:
            for month in span:
                row.months.setdefault(month, Cell())
        return Forecast(
            span,
            sorted(people.values(), key=lambda r: r.name),
            sorted(team_rows.values(), key=lambda r: (r.key is None, r.name)),
            total,
        )
