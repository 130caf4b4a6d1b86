"""Outside channels a notification travels through, behind one adapter interface.

An adapter gets a ``Message`` (already in the recipient's language) and a ``key`` that is the
same on every attempt of one delivery: an adapter for a service that deduplicates (WeCom's
``msgid``, an SMS gateway's ``out_id``) passes it on, which turns the sweep's at-least-once retry
after a crash into exactly-once at the receiver. ``EmailChannel`` sends through the mail adapter
(``app.mail``); ``RecordingChannel`` keeps what it was given (tests, and channels not set up yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.mail import Mailer, MailMessage


@dataclass(frozen=True)
class Message:
    key: str  # the delivery's idempotency key: "<schema>:<delivery id>"
    to_user: str  # the recipient's user id
    to_email: str
    title: str
    body: str
    link: str | None
    kind: str
    tenant_slug: str | None = None


class ChannelFailed(Exception):
    """The channel could not take the message (the delivery is retried with backoff)."""


class Channel(Protocol):
    key: str

    async def send(self, message: Message) -> None:
        """Deliver one message; raise ``ChannelFailed`` (or anything) when it could not."""
        ...


class EmailChannel:
    key = "email"

    def __init__(self, mailer: Mailer, base_url: str | None = None) -> None:
        self.mailer = mailer
        self.base_url = base_url

    async def send(self, message: Message) -> None:
        body = message.body
        if message.link and self.base_url:
            body = f"{body}\n\n{self.base_url.rstrip('/')}{message.link}"
        await self.mailer.send(
            MailMessage(
                to=message.to_email,
                subject=message.title,
                body=body,
                kind=f"notification:{message.kind}",
                tenant_slug=message.tenant_slug,
            )
        )


@dataclass
class RecordingChannel:
    """Sends nothing; keeps every message (a test's stand-in for WeCom, DingTalk or SMS)."""

    key: str
    sent: list[Message] = field(default_factory=list)
    failures: int = 0  # fail this many sends first (to test retries)

    async def send(self, message: Message) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ChannelFailed(f"{self.key} is down")
        self.sent.append(message)
