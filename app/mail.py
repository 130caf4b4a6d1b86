"""Outgoing mail behind one interface: an SMTP adapter for production and a recording adapter for
development and tests. Either way every message lands in ``public.outbox_mail`` (status
``recorded``, ``sent`` or ``failed``), which the tests and the operators' console read.

``SMTP_URL``: ``smtp://user:pass@host:587`` (STARTTLS, required), ``smtps://user:pass@host:465``
(implicit TLS), ``smtp://host:25?tls=none`` (a relay on a trusted network only); unset or
``recording://``: record, never send.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.i18n import locale_var
from app.platform.models import OutboxMail
from app.settings import Settings

OUTBOX = cast(Table, OutboxMail.__table__)


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str
    kind: str  # email_verification, ...
    tenant_slug: str | None = None


class MailFailed(Exception):
    """The message could not be handed to the mail server (it is recorded as ``failed``)."""


class Mailer(Protocol):
    transport: str

    async def send(self, message: MailMessage) -> None:
        """Deliver (or record) one message; raises ``MailFailed`` when it could not."""
        ...


async def _record(
    engine: AsyncEngine, message: MailMessage, transport: str, status: str, error: str | None = None
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(OUTBOX).values(
                kind=message.kind,
                tenant_slug=message.tenant_slug,
                to_addr=message.to[:254],
                subject=message.subject[:200],
                body=message.body,
                transport=transport,
                status=status,
                error=error,
            )
        )


class RecordingMailer:
    """Sends nothing; keeps every message in ``outbox_mail`` for tests and the console."""

    transport = "recording"

    def __init__(self, engine: AsyncEngine, *, echo_links: bool = False) -> None:
        self.engine = engine
        # On a developer's machine there is no mail server: the links a message carries (confirm
        # the sign-up, accept an invitation) go to the terminal so the flow can be finished.
        self.echo_links = echo_links

    async def send(self, message: MailMessage) -> None:
        await _record(self.engine, message, self.transport, "recorded")
        if self.echo_links:
            links = "".join(f"\n    {link}" for link in LINK.findall(message.body))
            print(f"[mail not sent, no SMTP] to {message.to}: {message.subject}{links}", file=sys.stderr)


LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"SMTP_URL must look like smtp://user:pass@host:587, not {parts.scheme}://...")
    implicit = parts.scheme == "smtps"
    tls = (parse_qs(parts.query).get("tls") or ["required"])[0]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=not implicit and tls != "none",
    )


class SmtpMailer:
    """Hands messages to an SMTP server (in a thread: smtplib blocks), recording each outcome."""

    transport = "smtp"

    def __init__(self, url: str, sender: str, engine: AsyncEngine, timeout: float = 20.0) -> None:
        self.target = parse_smtp_url(url)
        self.sender = sender
        self.engine = engine
        self.timeout = timeout

    def _email(self, message: MailMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1].rstrip(">") or None)
        email.set_content(message.body, charset="utf-8")
        return email

    def _deliver(self, email: EmailMessage) -> None:
        target = self.target
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if target.implicit_tls:
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if target.starttls:
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
                client.starttls(context=context)
                client.ehlo()
            if target.username:
                client.login(target.username, target.password or "")
            client.send_message(email)

    async def send(self, message: MailMessage) -> None:
        try:
            await asyncio.to_thread(self._deliver, self._email(message))
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            await _record(self.engine, message, self.transport, "failed", error)
            raise MailFailed(error) from exc
        await _record(self.engine, message, self.transport, "sent")


def mailer_from_settings(settings: Settings, engine: AsyncEngine) -> Mailer:
    url = settings.smtp_url
    if not url or url.startswith("recording:"):
        return RecordingMailer(engine, echo_links=settings.environment == "development")
    return SmtpMailer(url, settings.mail_from, engine)


def mailer_for(state: Any) -> Mailer:
    """The process's mailer, made once from the settings and kept on the app's state (or a worker's ctx)."""
    mailer = state.get("mailer")
    if mailer is None:
        mailer = mailer_from_settings(state["settings"], state["db"].engine)
        state["mailer"] = mailer
    return mailer


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Compose a message in ``locale`` (zh_CN by default; a missing translation falls back to English)."""
    token = locale_var.set(locale)
    try:
        yield
    finally:
        locale_var.reset(token)


async def recorded_mail(
    engine: AsyncEngine, *, to: str | None = None, kind: str | None = None, limit: int = 50
) -> Sequence[OutboxMail]:
    """The newest messages first (the console's mail page, tests)."""
    query = select(OUTBOX).order_by(OUTBOX.c.created_at.desc(), OUTBOX.c.id).limit(min(max(limit, 1), 200))
    if to:
        query = query.where(OUTBOX.c.to_addr == to.strip().lower())
    if kind:
        query = query.where(OUTBOX.c.kind == kind)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [OutboxMail(**row) for row in rows]
