"""The home-page card of follow-ups and tasks (``app.kit.home``): my follow-ups and tasks due."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.followups.worklist import work_list
from app.kit.enums import N_
from app.kit.home import LIST, CardData, CardRow, HomeCard, register_card

SHOWN = 8


async def my_work_due(session: AsyncSession, actor: Actor) -> CardData:
    """Overdue first, then today's: planned follow-ups (the customer's name) and open tasks."""
    found = await work_list(session, actor)
    due = found.overdue + found.today
    rows = tuple(
        CardRow(
            item.title,
            f"/customers/{item.customer_id}#follow-ups"
            if item.kind == "follow_up"
            else f"/work#task-{item.id}",
            item.at,
        )
        for item in due[:SHOWN]
    )
    return CardData(rows=rows, link="/work", empty=N_("Nothing due today."), value=len(due))


register_card(
    HomeCard(
        key="followups_due",
        title=N_("My follow-ups and tasks due"),
        kind=LIST,
        load=my_work_due,
        permission="customers:read",
        order=15,
    )
)
