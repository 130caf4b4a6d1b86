"""Home-page cards of the pipeline (``app.kit.home``): my pipeline by stage, this month's forecast
against the target, and the contracts ending within the tenant's notice period, in the viewer's
scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.kit.enums import N_
from app.kit.home import CHART, LIST, CardData, HomeCard, register_card
from app.opportunities.entity import CONTRACTS_READ, OPPORTUNITIES_READ
from app.opportunities.expiry import expiring_soon
from app.opportunities.forecast import SalesTargets
from app.opportunities.service import OpportunityService


async def my_pipeline(session: AsyncSession, actor: Actor) -> CardData | None:
    """Open deals' sums per stage (yuan), in board order, across the pipelines."""
    # Every pipeline's open deals, stages of the same name summed.
    sums = await OpportunityService(session, actor).open_by_stage()
    series = tuple((label, int(total)) for label, total in sums)
    if not any(value for _label, value in series):
        return CardData(empty=N_("No open deals yet."), link="/opportunities")
    return CardData(series=series, chart="bar", caption=N_("Open deals by stage (¥)"), link="/opportunities")


async def forecast_vs_target(session: AsyncSession, actor: Actor) -> CardData | None:
    """This month: the target, the weighted pipeline and what is won (yuan)."""
    today = date.today()
    found = await SalesTargets(session, actor).forecast(date(today.year, today.month, 1), 1)
    cell = found.total.months[found.months[0]]
    if found.people and len(found.people) == 1 and cell.target is None:
        cell = found.people[0].months[found.months[0]]
    if not (cell.target or cell.weighted or cell.won):
        return CardData(empty=N_("No forecast for this month yet."), link="/opportunities/forecast")
    series = (
        (N_("Target"), int(cell.target or 0)),
        (N_("Weighted"), int(cell.weighted)),
        (N_("Won"), int(cell.won)),
    )
    return CardData(series=series, chart="bar", caption=N_("This month (¥)"), link="/opportunities/forecast")


register_card(
    HomeCard(
        key="my_pipeline",
        title=N_("My pipeline"),
        kind=CHART,
        load=my_pipeline,
        permission=OPPORTUNITIES_READ,
        order=30,
    )
)
register_card(
    HomeCard(
        key="forecast_vs_target",
        title=N_("Forecast vs target"),
        kind=CHART,
        load=forecast_vs_target,
        permission=OPPORTUNITIES_READ,
        order=31,
    )
)
register_card(
    HomeCard(
        key="contracts_expiring",
        title=N_("Contracts ending soon"),
        kind=LIST,
        load=expiring_soon,
        permission=CONTRACTS_READ,
        order=33,
    )
)
