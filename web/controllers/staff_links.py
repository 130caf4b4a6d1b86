"""The pages staff reach from a mail or the login page, before they are signed in: accepting an
invitation, asking for a password reset and using its link, and choosing one's own password after
logging in with a one-time password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.domain import Actor, ValidationFailed
from app.http.auth import client_ip, current_tenant
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.enums import N_
from app.mail import mailer_for
from app.staff import links
from web.controllers.auth import with_session_cookie
from web.controllers.common import FormData
from web.controllers.staff import errors_of, origin

# What a refused link says, and with which status: a clear page, never a second account.
LINK_REFUSALS = {
    "invalid": (400, N_("This link is not valid. Copy the whole link from the email.")),
    "expired": (410, N_("This link has expired. Ask your administrator to send a new invitation.")),
    "used": (410, N_("This invitation has already been used. Log in with the password you chose.")),
    "revoked": (410, N_("This invitation was withdrawn or replaced by a newer one. Use the newest email.")),
}
RESET_REFUSALS = {
    "invalid": (400, N_("This link is not valid. Copy the whole link from the email.")),
    "expired": (410, N_("This link has expired: reset links work for 30 minutes. Ask for a new one.")),
    "used": (410, N_("This link has already been used. Ask for a new one if you still need it.")),
    "revoked": (410, N_("This link has already been used. Ask for a new one if you still need it.")),
}
SENT = N_(
    "If this address belongs to an active staff member, a link to reset the password is on its way. "
    "It works once, for 30 minutes."
)


def _ctx(request: Request[Any, Any, Any], **extra: Any) -> dict[str, Any]:
    return {"tenant": current_tenant(request), "errors": {}, **extra}


class StaffLinksController(Controller):
    path = "/"

    @get("/invite", operation_id="InvitationPage")
    async def invitation(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, token: str = ""
    ) -> Template:
        """The invitation link: choose a name and a password."""
        tenant = current_tenant(request)
        try:
            invitation = await links.open_invitation(
                db_session, request.app.state.settings.secret_key, tenant.slug, token
            )
        except links.LinkRefused as exc:
            status, message = LINK_REFUSALS[exc.code]
            return Template(
                "staff/link_refused.html", context=_ctx(request, message=_(message)), status_code=status
            )
        return Template(
            "staff/accept.html",
            context=_ctx(request, token=token, email=invitation.email, name=invitation.name or ""),
        )

    @post("/invite", operation_id="AcceptInvitation")
    async def accept(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: FormData
    ) -> Template | Redirect:
        """Make the account from the invitation (once)."""
        tenant = current_tenant(request)
        token = data.get("token", "")
        secret = request.app.state.settings.secret_key
        try:
            user = await links.accept_invitation(
                db_session,
                secret,
                tenant.slug,
                token,
                name=data.get("name", ""),
                password=data.get("password", ""),
                confirm=data.get("password_confirm", ""),
            )
        except links.LinkRefused as exc:
            status, message = LINK_REFUSALS[exc.code]
            return Template(
                "staff/link_refused.html", context=_ctx(request, message=_(message)), status_code=status
            )
        except ValidationFailed as exc:
            invitation = await links.open_invitation(db_session, secret, tenant.slug, token)
            ctx = _ctx(
                request, token=token, email=invitation.email, name=data.get("name", ""), errors=errors_of(exc)
            )
            return Template("staff/accept.html", context=ctx, status_code=400)
        return Redirect(f"/login?welcome=1&email={user.email}", status_code=303)

    @get("/password/forgot", operation_id="ForgotPasswordPage")
    async def forgot(self, request: Request[Any, Any, Any], sent: str = "") -> Template:
        """Ask for a reset link by email."""
        return Template(
            "staff/forgot.html", context=_ctx(request, sent=_(SENT) if sent else None, error=None)
        )

    @post("/password/forgot", operation_id="RequestPasswordReset")
    async def request_reset(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: FormData
    ) -> Template | Redirect:
        """Mail a link if the address is on staff; the answer is the same either way."""
        tenant = current_tenant(request)
        state = request.app.state
        try:
            await links.request_password_reset(
                db_session,
                state.redis,
                data.get("email", ""),
                ip=client_ip(request),
                secret=state.settings.secret_key,
                slug=tenant.slug,
                company=tenant.name,
                origin=origin(request),
                mailer=mailer_for(state),
                locale=locale_var.get(),
            )
        except links.ResetThrottled as exc:
            error = _("Too many requests from this network. Please try again in a few minutes.")
            return Template(
                "staff/forgot.html",
                context=_ctx(request, sent=None, error=error),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        return Redirect("/password/forgot?sent=1", status_code=303)

    @get("/password/reset", operation_id="PasswordResetPage")
    async def reset_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, token: str = ""
    ) -> Template:
        """The reset link: choose a new password."""
        tenant = current_tenant(request)
        try:
            user = await links.open_reset(
                db_session, request.app.state.settings.secret_key, tenant.slug, token
            )
        except links.LinkRefused as exc:
            status, message = RESET_REFUSALS[exc.code]
            return Template(
                "staff/link_refused.html",
                context=_ctx(request, message=_(message), forgot=True),
                status_code=status,
            )
        return Template("staff/reset.html", context=_ctx(request, token=token, email=user.email))

    @post("/password/reset", operation_id="CompletePasswordReset")
    async def reset(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: FormData
    ) -> Template | Redirect:
        """Set the new password; every session and token of the account ends."""
        tenant = current_tenant(request)
        token = data.get("token", "")
        secret = request.app.state.settings.secret_key
        try:
            user = await links.complete_reset(
                db_session,
                secret,
                tenant.slug,
                token,
                password=data.get("password", ""),
                confirm=data.get("password_confirm", ""),
            )
        except links.LinkRefused as exc:
            status, message = RESET_REFUSALS[exc.code]
            return Template(
                "staff/link_refused.html",
                context=_ctx(request, message=_(message), forgot=True),
                status_code=status,
            )
        except ValidationFailed as exc:
            user = await links.open_reset(db_session, secret, tenant.slug, token)
            ctx = _ctx(request, token=token, email=user.email, errors=errors_of(exc))
            return Template("staff/reset.html", context=ctx, status_code=400)
        return Redirect(f"/login?reset=1&email={user.email}", status_code=303)

    @get("/password/new", operation_id="FirstPasswordPage")
    async def first_password_page(
        self, request: Request[Any, Any, Any], actor_or_none: Actor | None
    ) -> Template | Redirect:
        """After logging in with a one-time password: choose one's own."""
        staff = request.scope["state"].get("staff_session")
        if staff is None or staff.record.stage != accounts.STAGE_NEW_PASSWORD:
            return Redirect("/login")
        return Template("staff/first_password.html", context=_ctx(request, name=staff.user.name))

    @post("/password/new", operation_id="ChooseFirstPassword")
    async def first_password(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor_or_none: Actor | None,
        data: FormData,
    ) -> Template | Redirect:
        """Replace the one-time password and carry on signing in."""
        staff = request.scope["state"].get("staff_session")
        if staff is None or staff.record.stage != accounts.STAGE_NEW_PASSWORD:
            return Redirect("/login", status_code=303)
        try:
            token, opened = await accounts.choose_first_password(
                db_session, staff, new=data.get("new_password", ""), confirm=data.get("confirm_password", "")
            )
        except ValidationFailed as exc:
            ctx = _ctx(request, name=staff.user.name, errors=errors_of(exc))
            return Template("staff/first_password.html", context=ctx, status_code=400)
        target = "/security/2fa/setup" if opened.record.stage == accounts.STAGE_ENROLL else "/"
        return with_session_cookie(Redirect(target, status_code=303), token, request.app.state.settings)
