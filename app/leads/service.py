"""Leads on the entity kit: created from the admin, an import, the web form or the API; assigned by
the tenant's rules (or by hand), timed to a first response, converted into a customer in one step
against the duplicate control (撞单: a match is reported, never merged silently)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SCOPE_ALL
from app.customers.fields import CustomerKind, CustomerSource
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.domain import Actor, FieldError, NotFound, ValidationFailed
from app.kit.fields import Choice, Email, Fields, Mobile, Ref, Text
from app.kit.memo import remembered
from app.kit.service import Built, EntityService, batch, unit_of_work
from app.leads import repository as repo
from app.leads.entity import LEAD, LEAD_ASSIGNED, LEAD_ASSIGNED_TITLE
from app.leads.fields import LIMITS, OPEN_STATUSES, LeadSource, LeadStatus, RuleStrategy
from app.leads.models import Lead, LeadRule
from app.leads.settings import lead_settings
from app.notifications.service import Note, send_notes
from app.opportunities.service import OpportunityService
from app.search.grams import build_document, build_query

OPPORTUNITIES_CREATE = "opportunities:create"
# Who may be given leads when a rule names no team: staff whose role may work them.
WORKS_LEADS = "leads:edit"


@dataclass(frozen=True)
class Pick:
    owner_id: uuid.UUID
    team_id: uuid.UUID | None
    rule: str


class Assigner:
    """The assignment rules and the loads they compare, for one transaction.

    A verb uses one for its lead; an import's chunk keeps one for all its rows (``app.kit.memo``):
    the rules are read and locked once, each team's candidates and their open leads counted once,
    and every lead the chunk gives out is counted as it is built, so round robin goes on where the
    previous row left it and "by load" sees the rows before, exactly as one lead at a time. The
    first pick takes the tenant's assignment lock (``repo.lock_assignment``) before reading the
    rules: a lead created by hand meanwhile waits for the chunk's commit, then sees its leads."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._locked = False
        self._rules: list[LeadRule] | None = None
        self._people: dict[uuid.UUID | None, list[uuid.UUID]] = {}
        self._stored: dict[uuid.UUID, int] = {}  # open leads per person, as stored
        self._added: dict[uuid.UUID, int] = {}  # open leads given out since, not yet stored

    async def _lock(self) -> None:
        if not self._locked:
            await repo.lock_assignment(self.session)
            self._locked = True

    async def _active_rules(self) -> list[LeadRule]:
        if self._rules is None:
            await self._lock()
            self._rules = await repo.active_rules(self.session)
        return self._rules

    async def _candidates(self, team_id: uuid.UUID | None) -> list[uuid.UUID]:
        if team_id not in self._people:
            self._people[team_id] = await repo.candidates(self.session, team_id, WORKS_LEADS)
        return self._people[team_id]

    async def _fewest(self, people: list[uuid.UUID]) -> uuid.UUID:
        missing = [p for p in people if p not in self._stored]
        if missing:
            found = await repo.open_lead_counts(self.session, missing)
            self._stored.update({p: found.get(p, 0) for p in missing})
        # min keeps the first of equals (candidates come in name order)
        return min(people, key=lambda p: self._stored[p] + self._added.get(p, 0))

    async def pick(self, values: dict[str, Any]) -> Pick | None:
        """The first active rule matching the lead's region and product interest picks one of its
        candidates: round robin after the last one it gave a lead to, or the one with the fewest
        open leads (ties by name). None: no rule matches, or no matching rule has an active
        candidate."""
        for rule in await self._active_rules():
            if not _matches(rule, values):
                continue
            people = await self._candidates(rule.team_id)
            if not people:
                continue
            if rule.strategy == RuleStrategy.LOAD.value:
                chosen = await self._fewest(people)
            else:
                after = people.index(rule.last_user_id) + 1 if rule.last_user_id in people else 0
                chosen = people[after % len(people)]
            rule.last_user_id = chosen
            return Pick(chosen, rule.team_id, rule.name)
        return None

    async def least_loaded(self) -> Pick | None:
        """Whoever works leads and has the fewest open ones: where a lead nobody entered (the web
        form) goes when no rule matches, so no lead waits unseen."""
        await self._lock()
        people = await self._candidates(None)
        if not people:
            return None
        return Pick(await self._fewest(people), None, "")

    def given(self, owner_id: uuid.UUID | None, status: Any) -> None:
        """A lead about to be stored with this owner and status counts toward the owner's load."""
        if owner_id is not None and status in OPEN_STATUSES:
            self._added[owner_id] = self._added.get(owner_id, 0) + 1

    def stored(self) -> None:
        """Leads were written or changed some other way (an import's update): count again."""
        self._stored.clear()
        self._added.clear()


ASSIGNER = "leads.assigner"


async def assigner(session: AsyncSession) -> Assigner:
    """The transaction's assigner: one per verb, one per import chunk (``app.kit.memo``)."""
    return await remembered(session, ASSIGNER, lambda: _new_assigner(session))


async def _new_assigner(session: AsyncSession) -> Assigner:
    return Assigner(session)


async def pick_owner(session: AsyncSession, values: dict[str, Any]) -> Pick | None:
    """``Assigner.pick`` on the transaction's assigner."""
    return await (await assigner(session)).pick(values)


async def least_loaded(session: AsyncSession) -> Pick | None:
    """``Assigner.least_loaded`` on the transaction's assigner."""
    return await (await assigner(session)).least_loaded()


def _matches(rule: LeadRule, values: dict[str, Any]) -> bool:
    for name in ("province", "city", "product_category"):
        wanted = getattr(rule, name)
        if wanted and wanted != (values.get(name) or None):
            return False
    return True


def index_lead(lead: Lead) -> None:
    doc = build_document(
        [lead.name, lead.mobile, lead.email, lead.company, lead.province, lead.city, lead.product_category],
        pinyin_fields=[lead.name],
    )
    lead.search_text = doc.text
    lead.search_grams = doc.grams


def _assigned_note(record: Lead, owner_id: uuid.UUID) -> Note:
    """What the owner a lead was given is told (``notify`` of one lead, as a note)."""
    return Note(
        owner_id,
        LEAD_ASSIGNED_TITLE,
        params={"lead": record.name},
        link=f"/leads/{record.id}",
        dedupe_key=f"lead_assigned:{record.id}:{record.version}",
    )


class LeadService(EntityService[Lead]):
    """The kit's verbs, with what is the lead's own: a way to reach the person, the assignment and
    its timer, the status moves that stop the timer, and conversion."""

    spec = LEAD
    model = Lead
    fields = Fields(
        {
            "name": Text(required=True, max_length=LIMITS["name"]),
            "mobile": Mobile(),
            "email": Email(),
            "company": Text(max_length=LIMITS["company"]),
            "product_category": Text(max_length=LIMITS["product_category"]),
            "message": Text(max_length=LIMITS["message"], multiline=True),
            "source": Choice(enum=LeadSource),
            "status": Choice(enum=LeadStatus),
            "owner_id": Ref(),
        },
        defaults={"source": LeadSource.ADMIN.value, "status": LeadStatus.NEW.value},
        division=True,
    )
    sort_fields = ("created_at", "updated_at", "name")
    # Set by conversion only: an edit or a new lead never claims to be converted.
    create_only = ("source",)
    # Imports build a chunk's leads before writing them: the assignment counts the chunk's own
    # leads in memory (``Assigner``), so no hook needs to read what an earlier row added.
    bulk_creates = True

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        super().__init__(session, actor)
        self.assigned_now: uuid.UUID | None = None  # the owner a verb gave the lead (told after)

    # -- assignment ------------------------------------------------------------------------------

    async def _check_owner(self, owner_id: uuid.UUID) -> None:
        if await repo.active_user(self.session, owner_id) is None:
            raise ValidationFailed([FieldError("owner_id", "unknown_owner", "is not an active staff member")])
        if self.actor.data_scope != SCOPE_ALL and owner_id not in (await self.owners() or []):
            raise ValidationFailed(
                [FieldError("owner_id", "owner_out_of_scope", "you may only assign leads within your scope")]
            )

    async def _assign(
        self, values: dict[str, Any], owner_id: uuid.UUID | None, context: dict[str, Any]
    ) -> None:
        """Fill in the owner (given, or by the rules, or the actor), the team and the response timer."""
        team_id = None
        rules = await assigner(self.session)
        if owner_id is None:
            pick = await rules.pick(context)
            works_leads = self.actor.via != "system" and self.actor.can(WORKS_LEADS)
            if pick is None and not works_leads:
                # The web form, or marketing importing a list: whoever works leads and has fewest.
                pick = await rules.least_loaded()
            if pick is not None:
                owner_id, team_id = pick.owner_id, pick.team_id
            elif works_leads:
                owner_id = self.actor.user_id
        else:
            await self._check_owner(owner_id)
        now = datetime.now(UTC)
        # Once per import chunk (app.kit.memo); read fresh by every verb otherwise.
        settings = await remembered(self.session, "lead_settings", lambda: lead_settings(self.session))
        values["owner_id"] = owner_id
        values["team_id"] = team_id
        values["assigned_at"] = now if owner_id else None
        values["respond_by"] = now + timedelta(minutes=settings.response_minutes) if owner_id else None
        values["overdue_notified_at"] = None
        self.assigned_now = owner_id if owner_id != self.actor.user_id else None

    async def before_create(self, values: dict[str, Any]) -> None:
        errors: list[FieldError] = []
        if not values.get("mobile") and not values.get("email"):
            errors.append(
                FieldError("mobile", "contact_required", "give a mobile number or an e-mail address")
            )
        if values.get("status") == LeadStatus.CONVERTED.value:
            errors.append(
                FieldError("status", "convert_instead", "a lead becomes converted by converting it")
            )
        if errors:
            raise ValidationFailed(errors)
        await self._assign(values, values.get("owner_id"), values)
        # Counted at once: the next lead of an import's chunk is assigned as if this one were stored.
        (await assigner(self.session)).given(values["owner_id"], values.get("status"))

    async def before_update(self, record: Lead, values: dict[str, Any]) -> None:
        status = values.get("status")
        if status is not None and status != record.status:
            if record.status == LeadStatus.CONVERTED.value or status == LeadStatus.CONVERTED.value:
                raise ValidationFailed(
                    [FieldError("status", "convert_instead", "a lead becomes converted by converting it")]
                )
            if record.responded_at is None and status != LeadStatus.NEW.value:
                values["responded_at"] = datetime.now(UTC)  # the first response stops the timer
        if "owner_id" in values and values["owner_id"] != record.owner_id:
            context = {k: values.get(k, getattr(record, k)) for k in ("province", "city", "product_category")}
            await self._assign(values, values["owner_id"], context)
        mobile = values.get("mobile", record.mobile)
        email = values.get("email", record.email)
        if not mobile and not email:
            raise ValidationFailed(
                [FieldError("mobile", "contact_required", "give a mobile number or an e-mail address")]
            )

    async def after_write(self, record: Lead, values: dict[str, Any], *, creating: bool) -> None:
        (await assigner(self.session)).stored()  # an import's update may have moved a lead
        if self.assigned_now is not None:
            await send_notes(self.session, LEAD_ASSIGNED, [_assigned_note(record, self.assigned_now)])

    async def after_create_many(self, built: Sequence[Built]) -> None:
        """An import chunk's leads, once inserted: each owner the rules gave one is told, as
        ``after_write`` tells them of one lead (the actor's own leads tell nobody)."""
        notes = [
            _assigned_note(item.record, item.record.owner_id)
            for item in built
            if item.record.owner_id is not None and item.record.owner_id != self.actor.user_id
        ]
        await send_notes(self.session, LEAD_ASSIGNED, notes)

    def index(self, record: Lead, extra_text: Sequence[str] = ()) -> None:
        index_lead(record)

    async def snapshot(self, record: Lead) -> dict[str, Any]:
        data = await super().snapshot(record)
        for name in ("respond_by", "customer_id"):
            value = getattr(record, name)
            data[name] = value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)
        return data

    # -- verbs of its own ------------------------------------------------------------------------

    async def assign(self, lead_id: uuid.UUID, version: int, owner_id: uuid.UUID | None) -> Lead:
        """Give the lead to ``owner_id``, or by the tenant's rules when None; restarts the timer."""
        self.require("edit")
        async with unit_of_work(self.session):
            record: Any = await self._load(lead_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(LEAD.key, lead_id)
            await self._check_version(record, version)
            if record.status == LeadStatus.CONVERTED.value:
                raise ValidationFailed(
                    [FieldError("lead", "already_converted", "the lead was converted already")]
                )
            before = await self.snapshot(record)
            values: dict[str, Any] = {}
            context = {k: getattr(record, k) for k in ("province", "city", "product_category")}
            if owner_id is None:
                rules = await assigner(self.session)
                pick = await rules.pick(context) or await rules.least_loaded()
                if pick is None:
                    raise ValidationFailed(
                        [FieldError("owner_id", "no_candidate", "no active staff member matches the rules")]
                    )
                owner_id = pick.owner_id
                values["team_id"] = pick.team_id
            await self._assign(values, owner_id, context)
            for name, value in values.items():
                setattr(record, name, value)
            self._touch(record)
            await self.after_write(record, values, creating=False)
            self._audit(record, "assign", before, await self.snapshot(record))
            self._emit(record, "assigned", owner_id=str(owner_id))
        return record  # type: ignore[no-any-return]

    async def convert(
        self,
        lead_id: uuid.UUID,
        version: int,
        *,
        confirm_duplicates: bool = False,
        customer: dict[str, Any] | None = None,
        with_opportunity: bool = True,
    ) -> Conversion:
        """Make the lead a customer (owned by the lead's owner) and an opportunity for it (when the
        actor may open one) in one transaction: the customer's duplicate control runs as for any new
        customer, so a match raises ``DuplicateFound`` and nothing is written. A converted lead cannot
        be converted again."""
        self.require("edit")
        async with batch(self.session):
            record: Any = await self._load(lead_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(LEAD.key, lead_id)
            if record.status == LeadStatus.CONVERTED.value:
                raise ValidationFailed(
                    [FieldError("lead", "already_converted", "the lead was converted already")]
                )
            await self._check_version(record, version)
            before = await self.snapshot(record)
            customers = CustomerService(self.session, self.actor)
            customers.accept_duplicates = confirm_duplicates
            raw = {
                "name": record.company or record.name,
                "kind": (CustomerKind.COMPANY if record.company else CustomerKind.INDIVIDUAL).value,
                "mobile": record.mobile,
                "email": record.email,
                "source": CustomerSource.ONLINE.value if record.source == LeadSource.WEB_FORM.value else None,
                "notes": record.message,
                "owner_id": str(record.owner_id or self.actor.user_id),
            }
            if record.province:
                raw.update(province=record.province, city=record.city, district=record.district)
            raw.update(customer or {})
            made: Customer = await customers.create(raw)
            opportunity = None
            if with_opportunity and self.actor.can(OPPORTUNITIES_CREATE):
                opportunity = await OpportunityService(self.session, self.actor).create(
                    {
                        "name": f"{record.product_category or record.name} · {made.name}"[:120],
                        "customer_id": made.id,
                        "owner_id": made.owner_id,
                        "lead_id": record.id,
                        "note": record.message,
                    }
                )
                record.opportunity_id = opportunity.id
            now = datetime.now(UTC)
            record.status = LeadStatus.CONVERTED.value
            record.converted_at = now
            record.customer_id = made.id
            if record.responded_at is None:
                record.responded_at = now
            self._touch(record)
            self._audit(record, "convert", before, await self.snapshot(record))
            self._emit(record, "converted", customer_id=str(made.id))
        return Conversion(lead=record, customer=made, opportunity=opportunity)

    def _touch(self, record: Any) -> None:
        record.version += 1
        record.updated_at = datetime.now(UTC)
        record.updated_by = self.actor.user_id


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    customer: Customer
    opportunity: Any = None  # the opportunity opened with it (when the actor may open one)


def lead_conditions(
    *, search: str | None = None, status: str | None = None, overdue: bool = False
) -> list[ColumnElement[bool]]:
    """The list's filters as conditions (search over name, phone, e-mail, company and region)."""
    conditions: list[ColumnElement[bool]] = []
    if status:
        if LeadStatus.parse(status) is None:
            raise ValidationFailed([FieldError("status", "invalid_choice", "is not a lead status")])
        conditions.append(Lead.status == status)
    if overdue:
        conditions.append(Lead.respond_by < datetime.now(UTC))
        conditions.append(Lead.responded_at.is_(None))
        conditions.append(Lead.status.in_(OPEN_STATUSES))
    if search and search.strip():
        if len(search) > 100:
            raise ValidationFailed([FieldError("search", "too_long", "must be at most 100 characters")])
        built = build_query(search)
        if built is not None:
            if built.grams:
                conditions.append(Lead.search_grams.contains(built.grams))
            conditions += [Lead.search_text.like(p) for p in built.like_patterns]
    return conditions
