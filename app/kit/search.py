"""Global search: every entity registers how it is found; one verb searches them all.

    register_search(SearchSource("customer", columns=("name", "mobile"), subtitle=("mobile", "city")))

A source names its entity (labels, detail page and permission module come from its ``EntitySpec``;
scope from its ``EntityService``), the columns a query is matched against, and what a hit shows
under its title. Entities with the kit's ``SearchMixin`` columns are matched through their GIN-indexed
grams (``app.search.grams``: name, phone fragment, pinyin, initials); others by ``LIKE`` on the
columns. A later module adds one ``register_search`` line and appears in the top bar's search and
the Ctrl-K palette without any change here.

Hits are read with the caller's permission (``<module>:read``) and data scope, exactly as the
entity's own list would: an out-of-scope record is never found.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from app.domain import Actor, FieldError, ValidationFailed
from app.kit.registry import EntitySpec, entity
from app.kit.sensitive import exact_matches
from app.search.grams import build_query, escape_like, normalize

# A query longer than this is no name, phone or initials anyone types; it is refused with a message.
MAX_QUERY_LENGTH = 100
# Hits per entity: the palette shows a handful per group; the full page a few more.
DEFAULT_PER_ENTITY = 5
MAX_PER_ENTITY = 20
# Candidates read (unordered, from the index) before the best are picked: ordering every match of a
# common bigram (a tenth of the table) is what would make search slow.
CANDIDATES = 40


@dataclass(frozen=True)
class SearchSource:
    entity: str  # the EntitySpec key
    columns: tuple[str, ...] = ("name",)  # matched by LIKE when the model has no search grams
    subtitle: tuple[str, ...] = ()  # columns shown under the title, joined by " · "
    order: int = 100  # position of the entity's group in the results

    @property
    def spec(self) -> EntitySpec:
        spec = entity(self.entity)
        if spec is None:
            raise LookupError(f"search source for undeclared entity {self.entity!r}")
        return spec


@dataclass(frozen=True)
class SearchHit:
    entity: str
    id: str
    title: str
    subtitle: str
    url: str | None


@dataclass(frozen=True)
class SearchGroup:
    entity: str
    label: str  # the entity's plural msgid
    hits: tuple[SearchHit, ...]


_sources: dict[str, SearchSource] = {}


def register_search(source: SearchSource) -> SearchSource:
    existing = _sources.get(source.entity)
    if existing is not None and existing != source:
        raise ValueError(f"search source {source.entity!r} registered twice")
    _sources[source.entity] = source
    return source


def search_sources() -> tuple[SearchSource, ...]:
    return tuple(sorted(_sources.values(), key=lambda s: (s.order, s.entity)))


def query_errors(query: str) -> list[FieldError]:
    """What is wrong with a search text: too long, or control characters (tabs and newlines pass)."""
    if len(query) > MAX_QUERY_LENGTH:
        return [FieldError("query", "too_long", f"must be at most {MAX_QUERY_LENGTH} characters")]
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r" for c in query):
        return [FieldError("query", "control_characters", "must not contain control characters")]
    return []


async def search(
    session: AsyncSession, actor: Actor, query: str, *, per_entity: int = DEFAULT_PER_ENTITY
) -> list[SearchGroup]:
    """Every registered entity the actor may read, searched for ``query``; groups without hits are
    left out. Raises ``ValidationFailed`` (field ``query``) for a text that is too long or holds
    control characters."""
    errors = query_errors(query)
    if errors:
        raise ValidationFailed(errors)
    per_entity = max(1, min(per_entity, MAX_PER_ENTITY))
    if build_query(query) is None:
        return []
    # The gram search is planned for its actual grams (see app.customers.repository.plan_each_search).
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    groups: list[SearchGroup] = []
    for source in search_sources():
        spec = source.spec
        if not actor.can(f"{spec.module}:read"):
            continue
        hits = await _search_one(session, actor, source, query, per_entity)
        if hits:
            groups.append(SearchGroup(spec.key, spec.plural, tuple(hits)))
    return groups


def _conditions(model: Any, source: SearchSource, query: str) -> list[ColumnElement[bool]]:
    """Rows matching every term: through the gram index when the model has one, else LIKE."""
    built = build_query(query)
    assert built is not None
    if hasattr(model, "search_grams") and hasattr(model, "search_text"):
        conditions: list[ColumnElement[bool]] = []
        if built.grams:
            conditions.append(model.search_grams.contains(built.grams))
        conditions += [model.search_text.like(pattern) for pattern in built.like_patterns]
        return conditions
    terms = normalize(query).split()
    return [
        or_(*(getattr(model, column).ilike(f"%{escape_like(term)}%") for column in source.columns))
        for term in terms
    ]


async def _search_one(
    session: AsyncSession, actor: Actor, source: SearchSource, query: str, limit: int
) -> list[SearchHit]:
    from app.kit.service import service_for  # the kit's services import this registry's users

    spec = source.spec
    model: Any = spec.model
    service = service_for(spec.key)(session, actor)
    wanted = {"name", *source.columns, *source.subtitle, *_page_fields(spec)}
    columns = [getattr(model, name) for name in sorted(wanted) if hasattr(model, name)]
    matched: ColumnElement[bool] = and_(*_conditions(model, source, query))
    if exact := await exact_matches(session, spec.key, query):
        # A full ID card number finds its customer through the keyed hash (app.kit.sensitive).
        matched = or_(matched, model.id.in_(exact))
    statement = select(model).options(load_only(*columns)).where(model.deleted_at.is_(None), matched)
    statement = (await service.visible(statement)).limit(CANDIDATES)
    records = (await session.scalars(statement)).all()
    needle = normalize(query).strip()
    # Best first: a title that starts with what was typed, then the shortest titles.
    ranked = sorted(
        records,
        key=lambda r: (not normalize(spec.title_of(r)).startswith(needle), len(spec.title_of(r))),
    )
    return [
        SearchHit(
            entity=spec.key,
            id=str(record.id),
            title=spec.title_of(record),
            subtitle=" · ".join(str(getattr(record, c)) for c in source.subtitle if getattr(record, c, None)),
            url=spec.page.format(**{name: getattr(record, name) for name in _page_fields(spec)})
            if spec.page
            else None,
        )
        for record in ranked[:limit]
    ]


def _page_fields(spec: EntitySpec) -> Sequence[str]:
    return [name for _, name, _, _ in string.Formatter().parse(spec.page or "") if name]
