"""Home page cards: each module declares its cards; the home page shows those the viewer may see.

    register_card(HomeCard(
        key="followups_due", title=N_("My follow-ups due"), permission="followups:read",
        kind=LIST, order=40, load=followups_due,   # async (session, actor) -> CardData
    ))

A card's ``load`` reads with the viewer's permission and data scope (a salesperson's numbers are
their own); it returns ``None`` when it has nothing to say, and the card is left out. The web admin
renders a card by its ``kind``: a number (``STAT``), an ECharts chart (``CHART``: ``series`` of
label/value pairs, ``chart`` "pie" or "bar"), or a list of linked rows (``LIST``). Adding "orders to
approve" or "tickets breaching SLA" is one declaration in that module; the home code stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor

STAT, CHART, LIST = "stat", "chart", "list"


@dataclass(frozen=True)
class CardRow:
    text: str  # shown as it is (a customer's name), or translated where ``msgid`` says so
    url: str | None = None
    when: datetime | None = None  # shown right-aligned, in the viewer's locale
    msgid: bool = False  # ``text`` is a msgid (fixed texts such as first steps)


@dataclass(frozen=True)
class CardData:
    value: int | None = None  # STAT: the number
    caption: str | None = None  # msgid under the number or the chart
    series: tuple[tuple[str, int], ...] = ()  # CHART: (label, value); labels are shown as given
    chart: str = "bar"  # CHART: "bar" or "pie"
    rows: tuple[CardRow, ...] = ()  # LIST
    link: str | None = None  # "see all" target
    empty: str | None = None  # msgid shown when there is nothing yet


@dataclass(frozen=True)
class HomeCard:
    key: str
    title: str  # msgid
    kind: str  # STAT | CHART | LIST
    load: Callable[[AsyncSession, Actor], Awaitable[CardData | None]]
    permission: str | None = None  # shown only to holders; None: everyone signed in
    order: int = 100
    wide: bool = False  # spans two columns on wide screens
    # Seconds a viewer's card may be served from the cache (numbers over a big table); 0: never.
    cache_seconds: int = 0
    # What the cached data was read at: a cheap stamp (the newest ``updated_at`` of the table the card
    # counts) that any write changes, so a viewer never sees numbers from before their own edit.
    version: Callable[[AsyncSession], Awaitable[str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShownCard:
    card: HomeCard
    data: CardData


_cards: dict[str, HomeCard] = {}


def register_card(card: HomeCard) -> HomeCard:
    if card.kind not in (STAT, CHART, LIST):
        raise ValueError(f"home card {card.key!r}: unknown kind {card.kind!r}")
    existing = _cards.get(card.key)
    if existing is not None and existing != card:
        raise ValueError(f"home card {card.key!r} registered twice")
    _cards[card.key] = card
    return card


def cards_for(actor: Actor) -> list[HomeCard]:
    """The cards ``actor``'s permissions allow, in page order."""
    allowed = (c for c in _cards.values() if c.permission is None or actor.can(c.permission))
    return sorted(allowed, key=lambda c: (c.order, c.key))


class CardCache(Protocol):
    """Where cards with ``cache_seconds`` keep their data (Redis in the admin). A cache that fails
    answers None and forgets: the card is then loaded from the database, never left out."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, seconds: int) -> None: ...


async def home_cards(
    session: AsyncSession, actor: Actor, cache: CardCache | None = None, cache_key: str = ""
) -> list[ShownCard]:
    """Every card the actor may see, loaded one after another on the request's session (one
    statement at a time); cards with nothing to show are left out. With a ``cache``, a card that
    allows it is served from ``cache_key``:``card.key`` (``cache_key`` names the tenant and viewer)."""
    shown: list[ShownCard] = []
    versions: dict[Any, str] = {}
    for card in cards_for(actor):
        key = f"{cache_key}:{card.key}"
        if card.version is not None and cache is not None and card.cache_seconds:
            if card.version not in versions:
                versions[card.version] = await card.version(session)
            key = f"{key}:{versions[card.version]}"
        data: CardData | None = None
        cached = await cache.get(key) if cache is not None and card.cache_seconds else None
        if cached is not None:
            data = load_card_data(cached)
        else:
            data = await card.load(session, actor)
            if cache is not None and card.cache_seconds:
                await cache.set(key, dump_card_data(data), card.cache_seconds)
        if data is not None:
            shown.append(ShownCard(card, data))
    return shown


def dump_card_data(data: CardData | None) -> str:
    if data is None:
        return "null"
    found = asdict(data)
    found["rows"] = [
        {**row, "when": row["when"].isoformat() if row["when"] else None} for row in found["rows"]
    ]
    return json.dumps(found, ensure_ascii=False)


def load_card_data(text: str) -> CardData | None:
    found = json.loads(text)
    if found is None:
        return None
    rows = tuple(
        CardRow(**{**row, "when": datetime.fromisoformat(row["when"]) if row["when"] else None})
        for row in found.pop("rows")
    )
    series = tuple((label, value) for label, value in found.pop("series"))
    return CardData(**found, rows=rows, series=series)
