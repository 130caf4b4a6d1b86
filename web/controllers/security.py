"""Security: the tenant's policy (admins), two-step verification, password, sessions, login history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import segno
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import mfa
from app.accounts import service as accounts
from app.accounts.permissions import STAFF_MANAGE
from app.domain import Actor, NotFound, PermissionDenied, ValidationFailed
from app.http.auth import AuthRequired, current_tenant
from app.i18n import gettext as _
from app.tenant_settings.service import PolicyInput, security_policy, update_security_policy
from web.controllers.auth import with_session_cookie
from web.controllers.common import error_text, field_errors, page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _staff(request: Request[Any, Any, Any]) -> accounts.StaffSession:
    staff = request.scope["state"].get("staff_session")
    if staff is None:
        raise AuthRequired(login_url="/login")
    return staff


def qr_svg(uri: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (segno writes only its own markup)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff", omitsize=False))


def _enrolling(request: Request[Any, Any, Any]) -> accounts.StaffSession:
    """The session of someone who may use the enrolment pages: a full login, or a half-login whose
    tenant demands 2FA and who has none yet. A half-login waiting for its code goes back to that step."""
    staff = _staff(request)
    if not accounts.may_enroll(staff):
        raise AuthRequired("second factor required", login_url="/login/2fa")
    return staff


def _setup_context(
    request: Request[Any, Any, Any], staff: accounts.StaffSession, actor: Actor | None, **extra: Any
) -> dict[str, Any]:
    pending = mfa.pending_enrollment(staff.user, current_tenant(request).name)
    return page(
        request,
        actor,
        nav="security",
        secret=pending[0] if pending else None,
        uri=pending[1] if pending else None,
        qr_svg=qr_svg(pending[1]) if pending else None,
        enrolled=mfa.is_enrolled(staff.user),
        forced=staff.record.stage != accounts.STAGE_ACTIVE,
        **{"error": None, "reauth_error": False, **extra},
    )


def _int(data: dict[str, str], key: str, default: int) -> int:
    try:
        return int(data.get(key, default))
    except (TypeError, ValueError):
        return -1  # out of range: the service reports it on the field


class SecurityController(Controller):
    path = "/security"

    async def _context(
        self, request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, **extra: Any
    ) -> dict[str, Any]:
        staff = _staff(request)
        admin = actor.can(STAFF_MANAGE)
        sessions = await accounts.list_sessions(session, actor, everyone=admin)
        return page(
            request,
            actor,
            nav="security",
            policy=await security_policy(session),
            enrolled=mfa.is_enrolled(staff.user),
            current_session_id=staff.record.id,
            sessions=sessions,
            session_users=await accounts.staff_names(session, [s.user_id for s in sessions]),
            logins=await accounts.login_history(session, actor, everyone=admin, limit=50),
            is_admin=admin,
            errors={},
            form={},
            reauth_error=False,
            **extra,
        )

    @get("/", operation_id="SecurityPage", name="security")
    async def overview(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Security settings, sessions and login history."""
        return Template("security/index.html", context=await self._context(request, db_session, actor))

    @post("/policy", operation_id="UpdateSecurityPolicy")
    async def update_policy(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        """Save the tenant's security policy (admins)."""
        form = PolicyInput(
            require_2fa=data.get("require_2fa") == "on",
            ip_allowlist=[line for line in data.get("ip_allowlist", "").replace(",", "\n").splitlines()],
            password_min_length=_int(data, "password_min_length", 8),
            password_require_mixed=data.get("password_require_mixed") == "on",
            idle_timeout_minutes=_int(data, "idle_timeout_minutes", 30),
            session_lifetime_hours=_int(data, "session_lifetime_hours", 12),
        )
        try:
            await update_security_policy(db_session, actor, form)
        except PermissionDenied as exc:
            raise NotFoundException() from exc
        except ValidationFailed as exc:
            context = await self._context(request, db_session, actor)
            context.update(
                errors=field_errors(exc),
                form=data,
                policy_messages=[error_text(e.code, e.message) for e in exc.errors],
            )
            return Template("security/index.html", context=context, status_code=422)
        return Redirect("/security?saved=1", status_code=303)

    @post("/password", operation_id="ChangePassword")
    async def change_password(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        """Change one's own password; every other session ends."""
        try:
            token, _session = await accounts.change_password(
                db_session,
                _staff(request),
                current=data.get("current_password", ""),
                new=data.get("new_password", ""),
            )
        except ValidationFailed as exc:
            context = await self._context(request, db_session, actor)
            context.update(errors=field_errors(exc))
            return Template("security/index.html", context=context, status_code=422)
        return with_session_cookie(
            Redirect("/security?password_changed=1", status_code=303), token, request.app.state.settings
        )

    @post("/sessions/{session_id:uuid}/revoke", operation_id="RevokeSession")
    async def revoke_session(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, session_id: uuid.UUID
    ) -> Redirect:
        """End one session (one's own, or anyone's for admins)."""
        try:
            await accounts.revoke_session_by_id(db_session, actor, session_id)
        except NotFound as exc:
            raise NotFoundException() from exc
        return Redirect("/security", status_code=303)

    @get("/2fa/setup", operation_id="TwoFactorSetupPage")
    async def setup_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor_or_none: Actor | None
    ) -> Template:
        """Enrol an authenticator app (also mid-login when the policy demands it). Changes nothing."""
        staff = _enrolling(request)
        return Template("security/setup_2fa.html", context=_setup_context(request, staff, actor_or_none))

    @post("/2fa/setup/start", operation_id="TwoFactorSetupStart")
    async def setup_start(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor_or_none: Actor | None,
        data: Form,
    ) -> Template | Redirect:
        """Make a new key to enrol; replacing an active one asks for the password or a current code."""
        staff = _enrolling(request)
        try:
            await accounts.start_2fa_enrollment(
                db_session, staff, password=data.get("current_password", ""), code=data.get("reauth_code", "")
            )
        except ValidationFailed:
            return Template(
                "security/setup_2fa.html",
                context=_setup_context(request, staff, actor_or_none, reauth_error=True),
                status_code=422,
            )
        return Redirect("/security/2fa/setup", status_code=303)

    @post("/2fa/setup", operation_id="TwoFactorSetup")
    async def setup(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor_or_none: Actor | None,
        data: Form,
    ) -> Template | Redirect:
        """Confirm the first code of the new key; show the recovery codes once."""
        staff = _enrolling(request)
        try:
            codes = await mfa.confirm_enrollment(db_session, staff.user, data.get("code", ""))
        except ValidationFailed:
            return Template(
                "security/setup_2fa.html",
                context=_setup_context(request, staff, actor_or_none, error=True),
                status_code=422,
            )
        response: Any = Template(
            "security/recovery_codes.html", context=page(request, actor_or_none, nav="security", codes=codes)
        )
        if staff.record.stage == accounts.STAGE_ENROLL:
            token, _session = await accounts.promote_session(db_session, staff)
            response = with_session_cookie(response, token, request.app.state.settings)
        return response

    @post("/2fa/disable", operation_id="TwoFactorDisable")
    async def disable(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        """Turn two-step verification off (password or current code), unless the tenant requires it."""
        if (await security_policy(db_session)).require_2fa:
            context = await self._context(request, db_session, actor)
            context.update(policy_messages=[_("Two-step verification is required by your administrator.")])
            return Template("security/index.html", context=context, status_code=422)
        try:
            await accounts.disable_2fa(
                db_session,
                _staff(request),
                password=data.get("current_password", ""),
                code=data.get("reauth_code", ""),
            )
        except ValidationFailed:
            context = await self._context(request, db_session, actor)
            context.update(reauth_error=True)
            return Template("security/index.html", context=context, status_code=422)
        return Redirect("/security", status_code=303)
