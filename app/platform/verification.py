"""Email verification for self-service sign-ups.

The tenant exists from the moment the form is sent, but until its owner opens the emailed link
(signed, single-use, valid for EMAIL_VERIFICATION_HOURS) nobody can log in on its host: the host
shows a "confirm your email" page with a button that sends a fresh link. A fresh link retires the
older ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.i18n import gettext as _
from app.mail import Mailer, MailMessage, in_locale
from app.platform import tokens
from app.settings import Settings
from tenancy import registry
from tenancy.models import Tenant

PURPOSE = "verify_email"
RESEND_COOLDOWN_SECONDS = 60


class ResendTooSoon(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"wait {seconds}s")
        self.seconds = seconds


def compose(tenant: Tenant, link: str, login_url: str, hours: int, locale: str) -> MailMessage:
    """The email in the reader's language (Chinese by default; English where a translation is missing)."""
    with in_locale(locale):
        subject = _("Confirm your email to activate {company} on DealerCRM").format(company=tenant.name)
        body = _(
            "Hello,\n\n"
            "{company} has just been signed up for DealerCRM with this email address as its owner's login.\n"
            "Open this link within {hours} hours to confirm the address and activate the account:\n\n"
            "{link}\n\n"
            "After that, log in at your account address: {address}\n\n"
            "If you did not sign up, ignore this email: nobody can log in to the account until the link is opened."  # noqa: E501
        ).format(company=tenant.name, hours=hours, link=link, address=login_url)
    return MailMessage(
        to=tenant.admin_email, subject=subject, body=body, kind="email_verification", tenant_slug=tenant.slug
    )


async def send_link(
    engine: AsyncEngine, mailer: Mailer, settings: Settings, tenant: Tenant, *, tenant_url: str, locale: str
) -> None:
    """Issue a fresh link (retiring older ones) and mail it to the owner. Raises ``MailFailed``."""
    async with engine.begin() as conn:
        await tokens.retire_unused(conn, purpose=PURPOSE, tenant_slug=tenant.slug)
        token = await tokens.issue(
            conn,
            settings.secret_key,
            purpose=PURPOSE,
            tenant_slug=tenant.slug,
            lifetime=timedelta(hours=settings.email_verification_hours),
        )
    origin = tenant_url.rstrip("/")
    link = f"{origin}/verify-email?token={token}"
    await mailer.send(compose(tenant, link, f"{origin}/login", settings.email_verification_hours, locale))


async def resend_link(
    engine: AsyncEngine,
    redis: Any,
    mailer: Mailer,
    settings: Settings,
    tenant: Tenant,
    *,
    tenant_url: str,
    locale: str,
) -> None:
    """Send the link again, at most once a minute per tenant (``ResendTooSoon``). Always to the
    owner's address on record: the page asks for nothing, so it tells a stranger nothing."""
    key = f"dcrm:verify-resend:{tenant.slug}"
    if not await redis.set(key, "1", nx=True, ex=RESEND_COOLDOWN_SECONDS):
        raise ResendTooSoon(max(1, int(await redis.ttl(key) or RESEND_COOLDOWN_SECONDS)))
    await send_link(engine, mailer, settings, tenant, tenant_url=tenant_url, locale=locale)


async def verify(engine: AsyncEngine, settings: Settings, slug: str, token: str) -> Tenant:
    """Redeem a link for tenant ``slug``: the owner may log in from now on. ``TokenRefused`` otherwise."""
    async with engine.begin() as conn:
        await tokens.redeem(conn, settings.secret_key, purpose=PURPOSE, tenant_slug=slug, token=token)
        tenant = await registry.get_tenant(conn, slug, for_update=True)
        if tenant is None:
            raise tokens.TokenRefused("invalid")
        if tenant.email_verified_at is None:
            tenant = await registry.update_tenant(conn, slug, email_verified_at=datetime.now(UTC))
    return tenant
