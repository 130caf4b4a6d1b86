"""The customer module's home-page cards (``app.kit.home``): first steps for a new dealer, my
customers, the customers in my scope by stage and by week, and what changed lately.

Every number is read in the viewer's data scope, so a salesperson sees their own.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SCOPE_ALL, SCOPE_OWN
from app.customers import stats
from app.customers.entity import SPEC
from app.domain import Actor
from app.kit.enums import N_
from app.kit.home import CHART, LIST, STAT, CardData, CardRow, HomeCard, register_card
from app.kit.scope import owners_for

WEEKS = 12
RECENT = 8
BEIJING = ZoneInfo("Asia/Shanghai")


async def first_steps(session: AsyncSession, actor: Actor) -> CardData | None:
    """A dealer without a single customer yet is told what to do first; afterwards the card goes."""
    if await stats.has_customers(session):
        return None
    rows = []
    if actor.can("staff:manage") and await stats.active_staff_count(session) <= 1:
        rows.append(
            CardRow(
                N_("Add your staff, so each salesperson has their own login"),
                "/settings/staff/new",
                msgid=True,
            )
        )
    if actor.can("customers:import"):
        rows.append(CardRow(N_("Import your customers from a spreadsheet"), "/imports", msgid=True))
    if actor.can("customers:create"):
        rows.append(CardRow(N_("Create your first customer"), "/customers/new", msgid=True))
    return (
        CardData(rows=tuple(rows), caption=N_("Do these first and your CRM is ready for the day."))
        if rows
        else None
    )


async def _owners(session: AsyncSession, actor: Actor) -> list[uuid.UUID] | None:
    """The viewer's data scope, looked up once for all the cards of a request."""
    memo = session.info.setdefault("customer_home_owners", {})
    if actor.user_id not in memo:
        memo[actor.user_id] = await owners_for(session, actor)
    return memo[actor.user_id]  # type: ignore[no-any-return]


async def _counts(session: AsyncSession, actor: Actor) -> stats.StatusCounts:
    """The customers in the viewer's scope by stage, and how many of them are the viewer's own: one
    scan for three cards, kept for the request's session."""
    memo = session.info.setdefault("customer_home_counts", {})
    if actor.user_id not in memo:
        memo[actor.user_id] = await stats.status_counts(session, await _owners(session, actor), actor.user_id)
    return memo[actor.user_id]  # type: ignore[no-any-return]


async def my_customers(session: AsyncSession, actor: Actor) -> CardData:
    return CardData(
        value=(await _counts(session, actor)).owned,
        caption=N_("customers you own"),
        link=f"/customers?owner={actor.user_id}",
    )


async def scope_customers(session: AsyncSession, actor: Actor) -> CardData | None:
    if actor.data_scope == SCOPE_OWN:
        return None  # the same number as "my customers"
    caption = (
        N_("customers of the whole company") if actor.data_scope == SCOPE_ALL else N_("customers of my team")
    )
    return CardData(value=(await _counts(session, actor)).total, caption=caption, link="/customers")


async def by_stage(session: AsyncSession, actor: Actor) -> CardData:
    counts = (await _counts(session, actor)).by_status
    series = tuple((SPEC.choice_label("status", status) or status, n) for status, n in counts)
    return CardData(series=series, chart="pie", empty=N_("No customers yet."))


async def new_per_week(session: AsyncSession, actor: Actor) -> CardData:
    today = datetime.now(BEIJING).date()
    first = stats.week_start(today) - timedelta(weeks=WEEKS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=BEIJING).astimezone(UTC)
    counts = await stats.new_per_week(session, await _owners(session, actor), since)
    weeks = [first + timedelta(weeks=i) for i in range(WEEKS)]
    series = tuple((f"{day:%m-%d}", counts.get(day, 0)) for day in weeks)
    return CardData(series=series, chart="bar", caption=N_("by the week's Monday"))


async def recent_changes(session: AsyncSession, actor: Actor) -> CardData:
    changed = await stats.recently_changed(session, await _owners(session, actor), RECENT)
    rows = tuple(
        CardRow(name, SPEC.page.format(id=cid) if SPEC.page else None, when=at) for cid, name, at in changed
    )
    return CardData(rows=rows, link="/customers?sort=updated_at", empty=N_("Nothing has changed yet."))


READ = "customers:read"
# Counting a big dealer's customers is a scan: a viewer's numbers may be a minute old.
COUNTS_CACHE = 60
for card in (
    HomeCard("first_steps", N_("Getting started"), LIST, first_steps, order=0, wide=True),
    HomeCard(
        "my_customers",
        N_("My customers"),
        STAT,
        my_customers,
        READ,
        order=10,
        cache_seconds=COUNTS_CACHE,
        version=stats.data_version,
    ),
    HomeCard(
        "scope_customers",
        N_("Customers"),
        STAT,
        scope_customers,
        READ,
        order=11,
        cache_seconds=COUNTS_CACHE,
        version=stats.data_version,
    ),
    HomeCard(
        "customers_by_stage",
        N_("Customers by stage"),
        CHART,
        by_stage,
        READ,
        order=20,
        cache_seconds=COUNTS_CACHE,
        version=stats.data_version,
    ),
    HomeCard(
        "new_customers_per_week",
        N_("New customers per week"),
        CHART,
        new_per_week,
        READ,
        order=21,
        cache_seconds=COUNTS_CACHE,
        version=stats.data_version,
    ),
    HomeCard("recent_customer_changes", N_("Recent activity"), LIST, recent_changes, READ, order=30),
):
    register_card(card)
