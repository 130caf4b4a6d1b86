"""Notification kinds, registered by the module that sends them (like permissions and entities).

    FOLLOW_UP_DUE = register_kind(Kind("follow_up.due", N_("Follow-up due"), module="customers",
                                       channels=("in_app",)))

``channels`` are the defaults a staff member has until they change their preferences; the in-app
bell is always available, outside channels only when an adapter for them is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.kit.enums import N_

IN_APP = "in_app"
EMAIL = "email"

# Channel key → label msgid. In-app and email are built in; WeCom, DingTalk and SMS adapters
# register theirs (``register_channel``) when they are written.
_channel_labels: dict[str, str] = {IN_APP: N_("In the app"), EMAIL: N_("Email")}


@dataclass(frozen=True)
class Kind:
    key: str  # "follow_up.due"
    label: str  # msgid, shown on the preferences page
    module: str  # the module that sends it ("customers"), for grouping
    channels: tuple[str, ...] = (IN_APP,)  # on by default


_kinds: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    existing = _kinds.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {kind.key!r} registered twice")
    unknown = [c for c in kind.channels if c not in _channel_labels]
    if unknown:
        raise ValueError(f"notification kind {kind.key!r} names unknown channels {unknown}")
    _kinds[kind.key] = kind
    return kind


def register_channel(key: str, label: str) -> None:
    _channel_labels.setdefault(key, label)


def kind(key: str) -> Kind | None:
    return _kinds.get(key)


def kinds() -> tuple[Kind, ...]:
    return tuple(_kinds.values())


def channel_labels() -> dict[str, str]:
    return dict(_channel_labels)
