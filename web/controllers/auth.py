"""Staff login and logout on a tenant's host."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.domain import Actor, ValidationFailed
from app.http.auth import client_ip, current_tenant
from app.http.middleware import SESSION_COOKIE
from app.i18n import gettext as _

# One text for an unknown email, a wrong password and a locked account (issue: the old 423 "locked"
# told an attacker which emails exist).
LOGIN_MESSAGES = {
    "ip_not_allowed": "Access from this network is not allowed.",
    "invalid": (
        "Wrong email or password. After 5 failed attempts, sign-in from this network pauses for 15 minutes."
    ),
    "inactive": "This account has been deactivated. Please contact your administrator.",
    "throttled": "Too many sign-in attempts from this address. Wait a minute and try again.",
}
LOGIN_STATUS = {"invalid": 401, "throttled": 429, "ip_not_allowed": 403, "inactive": 403}


def login_refused(request: Request[Any, Any, Any], exc: accounts.LoginFailed, **context: Any) -> Template:
    """The login form again, with the one message and status a refusal of this kind gets."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.code == "throttled" and exc.retry_after else None
    return Template(
        "auth/login.html",
        context={
            "tenant": current_tenant(request),
            "next": "/",
            "resume": "",
            "email": "",
            **context,
            "error": _(LOGIN_MESSAGES[exc.code]),
        },
        status_code=LOGIN_STATUS[exc.code],
        headers=headers,
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths: ``//evil.example`` and absolute URLs fall back to the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\\\" in target:
        return "/"
    return target


def with_session_cookie(response: Any, token: str, settings: Any) -> Any:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=settings.session_absolute_hours * 3600,
        path="/",
    )
    return response


class AuthController(Controller):
    path = "/"

    @get("/login", operation_id="LoginPage", name="login")
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        actor_or_none: Actor | None,
        next: str | None = None,
        resume: str | None = None,
    ) -> Template | Redirect:
        """The login form."""
        current_tenant(request)
        if actor_or_none is not None:
            return Redirect(_safe_next(next))
        return Template(
            "auth/login.html",
            context={
                "tenant": current_tenant(request),
                "next": _safe_next(next),
                "resume": resume or "",
                "email": "",
                "error": None,
            },
        )

    @post("/login", operation_id="Login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Check credentials and open a session."""
        current_tenant(request)
        settings = request.app.state.settings
        nxt, resume = _safe_next(data.get("next")), data.get("resume") or ""
        try:
            token, staff = await accounts.login(
                db_session,
                settings,
                email=data.get("email", ""),
                password=data.get("password", ""),
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent"),
                redis=request.app.state.redis,
            )
        except accounts.LoginFailed as exc:
            return login_refused(request, exc, next=nxt, resume=resume, email=data.get("email", ""))
        if resume:
            nxt += ("&" if "?" in nxt else "?") + f"resume={resume}"
        if staff.record.stage == accounts.STAGE_SECOND_FACTOR:
            nxt = f"/login/2fa?next={quote(nxt, safe='')}"
        elif staff.record.stage == accounts.STAGE_NEW_PASSWORD:
            nxt = "/password/new"
        elif staff.record.stage == accounts.STAGE_ENROLL:
            nxt = "/security/2fa/setup"
        return with_session_cookie(Redirect(nxt, status_code=303), token, settings)

    @get("/login/2fa", operation_id="SecondFactorPage")
    async def second_factor_page(
        self, request: Request[Any, Any, Any], actor_or_none: Actor | None, next: str | None = None
    ) -> Template | Redirect:
        """Ask for the authenticator code after the password."""
        staff = request.scope["state"].get("staff_session")
        if staff is None or staff.record.stage != accounts.STAGE_SECOND_FACTOR:
            return Redirect("/login")
        return Template(
            "auth/second_factor.html",
            context={"tenant": current_tenant(request), "next": _safe_next(next), "error": None},
        )

    @post("/login/2fa", operation_id="SecondFactor")
    async def second_factor(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor_or_none: Actor | None,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Check the authenticator (or recovery) code and finish the login."""
        staff = request.scope["state"].get("staff_session")
        if staff is None or staff.record.stage != accounts.STAGE_SECOND_FACTOR:
            return Redirect("/login", status_code=303)
        try:
            token, _staff = await accounts.complete_second_factor(
                db_session,
                request.app.state.settings,
                staff,
                data.get("code", ""),
                redis=request.app.state.redis,
                ip=client_ip(request),
            )
        except accounts.SecondFactorEnded:
            response = Template(
                "auth/login.html",
                context={
                    "tenant": current_tenant(request),
                    "next": _safe_next(data.get("next")),
                    "resume": "",
                    "email": staff.user.email,
                    "error": _("Too many wrong codes. Sign in again with your password."),
                },
                status_code=401,
            )
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        except accounts.LoginFailed as exc:
            return Template(
                "auth/second_factor.html",
                context={
                    "tenant": current_tenant(request),
                    "next": _safe_next(data.get("next")),
                    "error": _(LOGIN_MESSAGES[exc.code]),
                },
                status_code=LOGIN_STATUS[exc.code],
                headers={"Retry-After": str(exc.retry_after or 60)},
            )
        except ValidationFailed:
            return Template(
                "auth/second_factor.html",
                context={
                    "tenant": current_tenant(request),
                    "next": _safe_next(data.get("next")),
                    "error": _("The code is not valid. Try the current code or a recovery code."),
                },
                status_code=422,
            )
        return with_session_cookie(
            Redirect(_safe_next(data.get("next")), status_code=303), token, request.app.state.settings
        )

    @post("/logout", operation_id="Logout")
    async def logout(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor_or_none: Actor | None
    ) -> Response[Any]:
        """End the session (a half-finished login too)."""
        staff = request.scope["state"].get("staff_session")
        if staff is not None:
            await accounts.logout(db_session, staff.record)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
