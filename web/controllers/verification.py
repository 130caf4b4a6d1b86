"""Confirming the sign-up email, on the new tenant's own host: the link from the email, the page an
unverified account's visitors are sent to, and "send the link again"."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.i18n import locale_var
from app.mail import MailFailed, mailer_for
from app.platform import verification
from app.platform.tokens import TokenRefused

# What a refused link says, and with which status.
LINK_REFUSALS = {
    "invalid": (400, "This link is not valid. Copy the whole link from the email, or ask for a new one."),
    "expired": (410, "This link has expired. Ask for a new one below."),
    "used": (410, "This link has already been used or a newer one has been sent."),
}


def masked(email: str) -> str:
    """``zhouhua@huamei.example`` → ``zh***@huamei.example``: enough for the owner to recognise."""
    name, _at, domain = email.partition("@")
    return f"{name[:2]}***@{domain}"


def _origin(request: Request[Any, Any, Any]) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


class VerificationController(Controller):
    path = "/verify-email"

    def _context(self, request: Request[Any, Any, Any], **extra: Any) -> dict[str, Any]:
        tenant = current_tenant(request)
        return {
            "tenant": None,
            "account": tenant,
            "owner_email": masked(tenant.admin_email),
            "verified": tenant.email_verified_at is not None,
            "hours": request.app.state.settings.email_verification_hours,
            **extra,
        }

    @get("/", operation_id="VerifyEmail")
    async def verify(self, request: Request[Any, Any, Any], token: str = "") -> Template:
        """Open the link from the sign-up email: the owner may log in from now on."""
        tenant = current_tenant(request)
        state = request.app.state
        try:
            tenant = await verification.verify(state.db.engine, state.settings, tenant.slug, token)
        except TokenRefused as exc:
            status, message = LINK_REFUSALS[exc.code]
            return Template(
                "platform/verify_result.html",
                context=self._context(request, ok=False, message=_(message)),
                status_code=status,
            )
        return Template(
            "platform/verify_result.html",
            context=self._context(request, ok=True, verified=True, message=_("Your email is confirmed.")),
        )

    @get("/pending", operation_id="VerifyEmailPending")
    async def pending(self, request: Request[Any, Any, Any], sent: str = "") -> Template | Redirect:
        """Where visitors of an unconfirmed account land: what to do, and a button for a new link."""
        if current_tenant(request).email_verified_at is not None:
            return Redirect("/login")
        return Template(
            "platform/verify_pending.html",
            context=self._context(request, sent=bool(sent), error=None),
            status_code=403,
        )

    @post("/resend", operation_id="VerifyEmailResend")
    async def resend(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Send a new link to the owner's address (at most once a minute)."""
        tenant = current_tenant(request)
        if tenant.email_verified_at is not None:
            return Redirect("/login", status_code=303)
        state = request.app.state
        try:
            await verification.resend_link(
                state.db.engine,
                state.redis,
                mailer_for(state),
                state.settings,
                tenant,
                tenant_url=_origin(request),
                locale=locale_var.get(),
            )
        except verification.ResendTooSoon as exc:
            error, status = (
                _("A link was sent less than a minute ago. Please wait {n} seconds.").format(n=exc.seconds),
                429,
            )
        except MailFailed:
            error, status = _("The email could not be sent just now. Please try again in a few minutes."), 503
        else:
            return Redirect("/verify-email/pending?sent=1", status_code=303)
        return Template(
            "platform/verify_pending.html",
            context=self._context(request, sent=False, error=error),
            status_code=status,
        )
