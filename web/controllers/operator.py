"""The platform operators' console on the base domain: log in, list tenants (a page of 50 at a time,
with plan, usage and health from the usage cache), suspend and resume."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.auth import AuthRequired, client_ip
from app.i18n import gettext as _
from app.platform import service as platform
from app.platform import usage
from app.platform.audit import PlatformActor
from app.platform.models import PlatformOperator
from app.platform.plans import PLANS
from tenancy.models import TenantStatus
from tenancy.registry import TenantNotFound
from web.controllers.common import is_htmx
from web.controllers.signup import base_domain_only

log = logging.getLogger("dealercrm.platform")

OPERATOR_COOKIE = "dcrm_operator"
# The cookie only travels to the console's own paths, never to sign-up or the API.
OPERATOR_COOKIE_PATH = "/operator"
LOGIN_PATH = "/operator/login"
SESSION_HOURS = 12

# Unknown, wrong and locked read alike (the old 423 "locked" told which emails exist).
LOGIN_MESSAGES = {
    "invalid": "Wrong email or password. After 5 failed attempts, sign-in pauses for 15 minutes.",
    "throttled": "Too many sign-in attempts from this address. Wait a minute and try again.",
}


async def provide_platform_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """A session on the ``public`` schema, closed when the request ends."""
    async with request.app.state.db.platform_session() as session:
        yield session


async def provide_operator(
    request: Request[Any, Any, Any], platform_session: AsyncSession
) -> PlatformOperator:
    operator = await platform.operator_for_session(platform_session, request.cookies.get(OPERATOR_COOKIE))
    if operator is None:
        raise AuthRequired("operator login required", login_url=LOGIN_PATH)
    return operator


async def provide_operator_or_none(
    request: Request[Any, Any, Any], platform_session: AsyncSession
) -> PlatformOperator | None:
    return await platform.operator_for_session(platform_session, request.cookies.get(OPERATOR_COOKIE))


def acting(request: Request[Any, Any, Any], operator: PlatformOperator) -> PlatformActor:
    """The operator as the platform audit log records them: who, from where, which request."""
    return PlatformActor(
        operator_id=operator.id,
        email=operator.email,
        name=operator.name,
        ip=client_ip(request),
        request_id=request.scope.get("state", {}).get("request_id"),
    )


def _summary(counts: dict[str, int]) -> dict[str, int]:
    return {
        "total": sum(counts.values()),
        "active": counts.get(TenantStatus.ACTIVE, 0),
        "suspended": counts.get(TenantStatus.SUSPENDED, 0),
        "deleted": counts.get(TenantStatus.DELETED, 0),
    }


def _flag(value: str | None) -> bool:
    return (value or "") in ("1", "on", "true", "yes")


class OperatorController(Controller):
    path = "/operator"
    guards = [base_domain_only]
    dependencies = {
        "platform_session": Provide(provide_platform_session),
        "operator": Provide(provide_operator),
        "operator_or_none": Provide(provide_operator_or_none),
    }

    @get("/", operation_id="OperatorConsole", name="operator_console")
    async def console(
        self,
        request: Request[Any, Any, Any],
        operator: PlatformOperator,
        q: str = "",
        status: str = "",
        plan: str = "",
        support: str = "",
        page: int = 1,
    ) -> Template:
        """Tenants, newest first, 50 a page, with plan, usage and health (cached by a cron job)."""
        engine = request.app.state.db.engine
        filters = usage.ConsoleFilter(q=q.strip()[:100], status=status, plan=plan, support=_flag(support))
        found = await usage.console_page(engine, filters, page)
        query = {
            k: v for k, v in {"q": filters.q, "status": status, "plan": plan, "support": support}.items() if v
        }
        return Template(
            "platform/console.html",
            context={
                "tenant": None,
                "operator": operator,
                "nav": "tenants",
                "rows": found.rows,
                "page": found,
                "filters": filters,
                "query": urlencode(query),
                "plans": list(PLANS.values()),
                "statuses": TenantStatus.ALL,
                "summary": _summary(await platform.tenant_status_counts(engine)),
                "backup_alert_hours": request.app.state.settings.backup_alert_after_hours,
            },
        )

    @get("/login", operation_id="OperatorLoginPage")
    async def login_page(self, operator_or_none: PlatformOperator | None) -> Template | Redirect:
        """The operators' login form."""
        if operator_or_none is not None:
            return Redirect("/operator")
        return Template("platform/operator_login.html", context={"tenant": None, "email": "", "error": None})

    @post("/login", operation_id="OperatorLogin")
    async def login(
        self,
        request: Request[Any, Any, Any],
        platform_session: AsyncSession,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Check an operator's credentials and open a console session."""
        email = (data.get("email") or "").strip()
        try:
            token = await platform.operator_login(
                platform_session,
                email=email,
                password=data.get("password") or "",
                ip=client_ip(request),
                request_id=request.scope.get("state", {}).get("request_id"),
                redis=request.app.state.redis,
                settings=request.app.state.settings,
            )
        except platform.OperatorLoginFailed as exc:
            log.warning("operator login refused (%s) for %s", exc.code, email.lower()[:254])
            throttled = exc.code == "throttled"
            return Template(
                "platform/operator_login.html",
                context={"tenant": None, "email": email, "error": _(LOGIN_MESSAGES[exc.code])},
                status_code=429 if throttled else 401,
                headers={"Retry-After": str(exc.retry_after or 60)} if throttled else None,
            )
        response = Redirect("/operator", status_code=303)
        response.set_cookie(
            OPERATOR_COOKIE,
            token,
            path=OPERATOR_COOKIE_PATH,
            httponly=True,
            secure=request.app.state.settings.secure_cookies,
            samesite="lax",
            max_age=SESSION_HOURS * 3600,
        )
        return response

    @post("/logout", operation_id="OperatorLogout")
    async def logout(self, request: Request[Any, Any, Any], platform_session: AsyncSession) -> Redirect:
        """End the console session (on the server, not only in the browser)."""
        await platform.operator_logout(platform_session, request.cookies.get(OPERATOR_COOKIE))
        response = Redirect(LOGIN_PATH, status_code=303)
        response.delete_cookie(OPERATOR_COOKIE, path=OPERATOR_COOKIE_PATH)
        return response

    @post("/tenants/{slug:str}/suspend", operation_id="OperatorSuspendTenant")
    async def suspend(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str
    ) -> Response[Any]:
        """Suspend a tenant: its staff and tokens are refused until it is resumed."""
        return await self._change(request, operator, slug, "suspend")

    @post("/tenants/{slug:str}/resume", operation_id="OperatorResumeTenant")
    async def resume(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str
    ) -> Response[Any]:
        """Resume a suspended tenant."""
        return await self._change(request, operator, slug, "resume")

    async def _change(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str, action: str
    ) -> Response[Any]:
        state = request.app.state
        engine = state.db.engine
        try:
            await (platform.suspend if action == "suspend" else platform.resume)(
                engine, slug, acting(request, operator)
            )
        except TenantNotFound as exc:
            raise NotFoundException() from exc
        except platform.TenantNotLive as exc:
            message = _("{slug} is deleted: restore it first.").format(slug=slug)
            if is_htmx(request):
                return Response("", status_code=409, headers={"HX-Trigger": json.dumps({"toast": message})})
            raise ClientException(detail=message, status_code=409) from exc
        # The JSON log keeps only the message, so who did what to whom goes into it.
        log.info("operator %s: %s tenant %s", operator.email, action, slug)
        if not is_htmx(request):
            return Redirect("/operator", status_code=303)
        await usage.refresh_usage(engine, state.redis, state.settings.files_dir, [slug])
        row = await usage.console_row(engine, slug)
        if row is None:  # gone between the change and the read
            raise NotFoundException()
        message = (_("{slug} suspended.") if action == "suspend" else _("{slug} resumed.")).format(slug=slug)
        return Template(
            "platform/_tenant_changed.html",
            context={
                "row": row,
                "summary": _summary(await platform.tenant_status_counts(engine)),
                "backup_alert_hours": state.settings.backup_alert_after_hours,
            },
            # ASCII-only JSON: header values are latin-1; htmx decodes the escapes.
            headers={"HX-Trigger": json.dumps({"toast": message})},
        )
