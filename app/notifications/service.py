"""Telling staff: ``notify`` (in the caller's transaction), the bell's reads, marking read, and
each person's channel preferences.

    await notify(session, [salesperson_id], FOLLOW_UP_DUE, N_("Follow up with %(customer)s"),
                 params={"customer": customer.name}, link=f"/customers/{customer.id}",
                 dedupe_key=f"follow_up:{record.id}:{record.next_at.isoformat()}")

Titles and bodies are msgids with ``%(name)s`` parameters, translated when shown, so each reader
sees their own language. Nothing is committed here: the caller's unit of work commits the
notification with the change that caused it, or neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, ValidationFailed
from app.i18n import gettext
from app.kit.paging import BadCursor, Order, Page, keyset_page
from app.kit.service import unit_of_work
from app.notifications import repository as repo
from app.notifications.kinds import IN_APP, Kind, channel_labels, kinds
from app.notifications.models import Notification
from app.settings import get_settings

# The bell shows "99+" beyond this.
UNREAD_CAP = 99


def render(message: str | None, params: dict[str, Any] | None) -> str:
    """A msgid in the current language with its parameters filled in (a missing one left as is)."""
    if not message:
        return ""
    text = gettext(message)
    try:
        return text % (params or {})
    except (KeyError, TypeError, ValueError):
        return text


def wanted_channels(kind: Kind, choices: dict[str, bool]) -> set[str]:
    """The channels one person gets ``kind`` on: the kind's defaults, changed by their choices,
    among the channels that exist."""
    available = channel_labels()
    return {c for c in available if choices.get(c, c in kind.channels)}


@dataclass(frozen=True)
class Note:
    """One notification for one person (``send_notes`` writes many of one kind at once)."""

    recipient: uuid.UUID
    title: str  # msgid
    body: str | None = None  # msgid
    params: dict[str, Any] | None = None
    link: str | None = None
    dedupe_key: str | None = None


async def notify(
    session: AsyncSession,
    recipients: Iterable[uuid.UUID],
    kind: Kind,
    title: str,
    *,
    body: str | None = None,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> list[uuid.UUID]:
    """Tell each recipient the same thing: one notification each, and a delivery row per outside
    channel each wants. With ``dedupe_key`` a recipient already told about that cause is skipped
    (a rerun sweep, a retried job). Returns the ids of the notifications written."""
    notes = [Note(person, title, body, params, link, dedupe_key) for person in dict.fromkeys(recipients)]
    return await send_notes(session, kind, notes)


async def send_notes(session: AsyncSession, kind: Kind, notes: Sequence[Note]) -> list[uuid.UUID]:
    """Write many notifications of one kind (a reminder sweep's batch) with three statements."""
    if not notes:
        return []
    people = list(dict.fromkeys(note.recipient for note in notes))
    preferences = await repo.preferences_for(session, people, kind.key)
    now = datetime.now(UTC)
    channels_of: dict[uuid.UUID, set[str]] = {}
    for person in people:
        choices = {channel: on for (user, channel), on in preferences.items() if user == person}
        channels_of[person] = wanted_channels(kind, choices)
    rows = [
        {
            "recipient_id": note.recipient,
            "kind": kind.key,
            "title": note.title,
            "body": note.body,
            "params": note.params or {},
            "link": note.link,
            "dedupe_key": note.dedupe_key,
            # Switched off in the app: kept in the list, but the bell does not ring for it.
            "read_at": None if IN_APP in channels_of[note.recipient] else now,
        }
        for note in notes
    ]
    written = await repo.insert_notifications(session, rows)
    deliveries = [
        {"notification_id": notification_id, "channel": channel}
        for notification_id, person in written
        for channel in sorted(channels_of[person] - {IN_APP})
    ]
    await repo.insert_deliveries(session, deliveries)
    return [notification_id for notification_id, _person in written]


# -- the bell and the list --------------------------------------------------------------------------


async def unread_count(session: AsyncSession, actor: Actor) -> int:
    """Unread notifications of the actor, counted up to ``UNREAD_CAP + 1``."""
    return await repo.unread_count(session, actor.user_id, UNREAD_CAP)


async def page(
    session: AsyncSession,
    actor: Actor,
    *,
    first: int = 20,
    after: str | None = None,
    unread_only: bool = False,
) -> Page[Notification]:
    """The actor's own notifications, newest first (nobody reads anyone else's)."""
    size_max = get_settings().page_size_max
    if first < 1 or first > size_max:
        raise ValidationFailed([FieldError("first", "out_of_range", f"must be between 1 and {size_max}")])
    try:
        return await keyset_page(
            session,
            repo.mine_query(actor.user_id, unread_only),
            Notification,
            Order(),
            limit=first,
            after=after,
            count_cap=get_settings().search_count_cap,
        )
    except BadCursor as exc:
        raise ValidationFailed([FieldError("after", "invalid_cursor", str(exc))]) from exc


async def mark_read(session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID] | None = None) -> int:
    """Mark the actor's notifications read (all of them when ``ids`` is None); ids of anyone
    else's notifications change nothing. Returns how many changed."""
    async with unit_of_work(session):
        return await repo.mark_read(session, actor.user_id, ids, datetime.now(UTC))


async def open_one(session: AsyncSession, actor: Actor, notification_id: uuid.UUID) -> str | None:
    """Mark one of the actor's notifications read and return its link ("" when it has none), or
    None when the actor has no such notification."""
    async with unit_of_work(session):
        found = await repo.own_notification(session, actor.user_id, notification_id)
        if found is None:
            return None
        if found.read_at is None:
            found.read_at = datetime.now(UTC)
        return found.link or ""


# -- preferences --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    kind: Kind
    channels: dict[str, bool]  # channel key → on, every existing channel


async def preferences(session: AsyncSession, actor: Actor) -> list[PreferenceRow]:
    """Every registered kind with the actor's setting on every channel (defaults where unset)."""
    saved = await repo.user_preferences(session, actor.user_id)
    rows = []
    for kind in kinds():
        choices = {c: on for (k, c), on in saved.items() if k == kind.key}
        wanted = wanted_channels(kind, choices)
        rows.append(PreferenceRow(kind, {c: c in wanted for c in channel_labels()}))
    return rows


async def set_preferences(session: AsyncSession, actor: Actor, choices: dict[tuple[str, str], bool]) -> None:
    """Save the actor's choices (kind, channel) → on; an unknown kind or channel is a field error."""
    known_kinds = {k.key for k in kinds()}
    known_channels = set(channel_labels())
    errors = [
        FieldError(f"{kind}.{channel}", "invalid_choice", "is not a notification kind and channel")
        for kind, channel in choices
        if kind not in known_kinds or channel not in known_channels
    ]
    if errors:
        raise ValidationFailed(errors)
    async with unit_of_work(session):
        await repo.save_preferences(session, actor.user_id, choices)
