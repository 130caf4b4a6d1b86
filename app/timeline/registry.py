"""Timeline entry kinds and their sources, registered by the modules that own them.

    register_source(TimelineSource("followups", followup_rows))
    register_kind(EntryKind("followup", N_("Follow-ups"), "phone", source="followups", order=30))

A source turns a customer id into a query whose rows are timeline entries, with exactly these
labelled columns: ``id`` (a UUID unique across sources: ``md5('followup:' || id)::uuid``), ``at``
(timestamptz), ``kind`` (a registered kind's key), ``actor_id``, ``actor_label`` and ``data`` (JSONB,
what the kind's renderer shows). The customer's visibility is checked before any source runs; a
source only narrows to the customer. Kinds give the filter its choices and each entry its label and
icon; one source may produce several kinds (the audit log gives edits and child-record changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select


@dataclass(frozen=True)
class EntryKind:
    key: str  # "note"; what the filter and the GraphQL ``kind`` say
    label: str  # msgid, plural as a filter choice ("Notes")
    icon: str  # a name from the admin's icon set (web/static/css: .tl-icon-<icon>)
    source: str  # the source producing it
    order: int = 100  # position among the filter's choices


@dataclass(frozen=True)
class TimelineSource:
    key: str
    # (customer id, the kind keys wanted from this source) → the entries' query.
    rows: Callable[[uuid.UUID, frozenset[str]], Select[Any]]


_kinds: dict[str, EntryKind] = {}
_sources: dict[str, TimelineSource] = {}


def register_kind(kind: EntryKind) -> EntryKind:
    existing = _kinds.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"timeline kind {kind.key!r} registered twice")
    _kinds[kind.key] = kind
    return kind


def register_source(source: TimelineSource) -> TimelineSource:
    existing = _sources.get(source.key)
    if existing is not None and existing is not source:
        raise ValueError(f"timeline source {source.key!r} registered twice")
    _sources[source.key] = source
    return source


def kinds() -> tuple[EntryKind, ...]:
    return tuple(sorted(_kinds.values(), key=lambda k: (k.order, k.key)))


def kind(key: str) -> EntryKind | None:
    return _kinds.get(key)


def sources() -> dict[str, TimelineSource]:
    return dict(_sources)
