"""Outgoing mail: one ``Mailer`` interface, two adapters.

Without SMTP_URL (or with ``recording://``) messages are recorded in ``public.outbox_mail`` and
never sent; with ``smtp://`` they go to a real SMTP conversation (here a small server in the
test that speaks the protocol) and are recorded as ``sent`` or ``failed``. STARTTLS is required
unless the URL says ``tls=none``; a server that does not offer it gets nothing.
"""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.policy import default as default_policy

import pytest
from litestar import Litestar

from app.mail import (
    MailFailed,
    MailMessage,
    RecordingMailer,
    SmtpMailer,
    mailer_from_settings,
    parse_smtp_url,
    recorded_mail,
)


@dataclass
class SmtpInbox:
    """What the test's SMTP server received."""

    port: int
    messages: list[bytes] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpInbox]:
    """A plain SMTP server on 127.0.0.1 (no STARTTLS): EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""
    inbox = SmtpInbox(port=0)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test-smtp ready\r\n")
        while line := await reader.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                writer.write(b"250-test-smtp\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n")
            elif verb == "AUTH":
                inbox.logins.append(command)
                writer.write(b"235 ok\r\n")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                writer.write(b"250 ok\r\n")
            elif verb == "DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                inbox.messages.append(data)
                writer.write(b"250 queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"502 not here\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    async with server:
        yield inbox


def note(to: str) -> MailMessage:
    return MailMessage(
        to=to,
        subject="请验证您的邮箱",
        body="您好：\n请打开链接。\nhttps://x.localhost/verify-email?token=abc",
        kind="test",
    )


async def test_without_smtp_url_mail_is_recorded_not_sent(app: Litestar) -> None:
    settings = app.state.settings
    assert settings.smtp_url is None  # the test run configures no SMTP server
    mailer = mailer_from_settings(settings, app.state.db.engine)
    assert isinstance(mailer, RecordingMailer)
    to = f"{uuid.uuid4().hex[:8]}@record.example"

    await mailer.send(note(to))

    [recorded] = await recorded_mail(app.state.db.engine, to=to)
    assert (recorded.transport, recorded.status, recorded.subject) == (
        "recording",
        "recorded",
        "请验证您的邮箱",
    )
    assert "请打开链接" in recorded.body


async def test_smtp_adapter_delivers_over_a_real_smtp_conversation(
    app: Litestar, smtp_server: SmtpInbox
) -> None:
    """Chinese subject and body arrive intact; the login from the URL is used; the outcome is recorded."""
    to = f"{uuid.uuid4().hex[:8]}@smtp.example"
    mailer = SmtpMailer(
        f"smtp://mailer:p%40ss@127.0.0.1:{smtp_server.port}?tls=none",
        "DealerCRM <no-reply@dealercrm.example>",
        app.state.db.engine,
    )  # fmt: skip

    await mailer.send(note(to))

    [raw] = smtp_server.messages
    received = email.message_from_bytes(raw, policy=default_policy)
    assert received["To"] == to and received["Subject"] == "请验证您的邮箱"
    assert "请打开链接" in received.get_content()
    assert smtp_server.logins and smtp_server.logins[0].startswith("AUTH PLAIN")
    [recorded] = await recorded_mail(app.state.db.engine, to=to)
    assert (recorded.transport, recorded.status, recorded.error) == ("smtp", "sent", None)


async def test_a_server_without_starttls_gets_nothing_unless_the_url_allows_it(
    app: Litestar, smtp_server: SmtpInbox
) -> None:
    """smtp:// means STARTTLS: the password is never sent over a plain connection by accident."""
    to = f"{uuid.uuid4().hex[:8]}@smtp.example"
    mailer = SmtpMailer(
        f"smtp://mailer:secret@127.0.0.1:{smtp_server.port}",
        "no-reply@dealercrm.example",
        app.state.db.engine,
    )

    with pytest.raises(MailFailed, match="STARTTLS"):
        await mailer.send(note(to))

    assert smtp_server.messages == [] and smtp_server.logins == []
    [recorded] = await recorded_mail(app.state.db.engine, to=to)
    assert recorded.status == "failed" and "STARTTLS" in (recorded.error or "")


async def test_an_unreachable_server_is_a_recorded_failure(app: Litestar) -> None:
    to = f"{uuid.uuid4().hex[:8]}@smtp.example"
    mailer = SmtpMailer(
        "smtp://127.0.0.1:9?tls=none", "no-reply@dealercrm.example", app.state.db.engine, timeout=3
    )
    with pytest.raises(MailFailed):
        await mailer.send(note(to))
    [recorded] = await recorded_mail(app.state.db.engine, to=to)
    assert recorded.status == "failed" and recorded.error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u:p@mail.example", ("mail.example", 587, "u", "p", False, True)),
        ("smtps://u:p@mail.example", ("mail.example", 465, "u", "p", True, False)),
        ("smtp://relay.internal:25?tls=none", ("relay.internal", 25, None, None, False, False)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    target = parse_smtp_url(url)
    assert (
        target.host,
        target.port,
        target.username,
        target.password,
        target.implicit_tls,
        target.starttls,
    ) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:587"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url(url)
