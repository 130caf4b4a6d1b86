"""Who is calling: a staff session cookie or a personal access token, resolved per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.domain import Actor
from app.http import form_stash
from app.http.middleware import SESSION_COOKIE
from app.platform import quotas, support
from app.platform.plans import tenant_limits
from app.tenant_settings.service import security_policy
from tenancy.models import Tenant


class AuthRequired(NotAuthorizedException):
    """No valid session or token. ``reason`` is shown to API clients, ``login_url`` to browsers."""

    def __init__(self, reason: str = "authentication required", login_url: str | None = None) -> None:
        super().__init__(detail=reason)
        self.reason = reason
        self.login_url = login_url


def current_tenant(request: Request[Any, Any, Any]) -> Tenant:
    tenant = request.scope.get("state", {}).get("tenant")
    if tenant is None:
        raise NotFoundException()
    return tenant


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """The tenant-bound session; a generator dependency, so it is closed when the request ends."""
    tenant = current_tenant(request)
    async with request.app.state.db.tenant_session(tenant.schema_name) as session:
        yield session


async def provide_optional_actor(request: Request[Any, Any, Any], db_session: AsyncSession) -> Actor | None:
    """The staff member behind the session cookie or bearer token, or the support actor behind a
    support session, if any; refuses addresses outside the tenant's IP allowlist (support sessions
    pass it only from the platform allowlist). A half-finished login (second factor due) is no
    actor. Bearer requests count against the tenant's daily API quota (429 when it is used up)."""
    state = request.scope["state"]
    if "actor" in state:
        return state["actor"]
    tenant = current_tenant(request)
    request_id = state.get("request_id")
    ip = client_ip(request)
    policy = await security_policy(db_session)
    authorization = request.headers.get("authorization", "")
    bearer = authorization.lower().startswith("bearer ")
    support_cookie = None if bearer else request.cookies.get(support.SUPPORT_COOKIE)
    if support_cookie:
        helper = await support.resolve_actor(
            db_session, request.app.state.redis, tenant, support_cookie, ip=ip, request_id=request_id
        )
        if helper is not None:
            if not policy.allows_ip(ip) and not support.platform_allows(request.app.state.settings, ip):
                raise PermissionDeniedException(detail="ip_not_allowed")
            await support.record_request(
                request.app.state.db.engine, helper, tenant.slug, request.method, request.url.path
            )
            state["actor"] = helper
            return helper
        state["support_ended"] = True
    if not policy.allows_ip(ip):
        raise PermissionDeniedException(detail="ip_not_allowed")
    actor: Actor | None = None
    if bearer:
        token = authorization[7:].strip()
        if accounts.tenant_of_token(token) != tenant.slug:
            raise AuthRequired("token is not valid for this host")
        actor = await accounts.actor_for_token(db_session, token, ip=ip, request_id=request_id)
        if actor is None:
            raise AuthRequired("token is invalid, expired or revoked")
        await quotas.count_api_call(request.app.state.redis, tenant.slug, await tenant_limits(db_session))
    else:
        staff = await accounts.resume_session(
            db_session, request.app.state.settings, request.cookies.get(SESSION_COOKIE)
        )
        if staff is not None:
            state["staff_session"] = staff
            if staff.record.stage == accounts.STAGE_ACTIVE:
                actor = accounts.actor_for(staff.user, ip=ip, request_id=request_id)
    state["actor"] = actor
    return actor


async def provide_actor(request: Request[Any, Any, Any], actor_or_none: Actor | None) -> Actor:
    if actor_or_none is None:
        staff = request.scope["state"].get("staff_session")
        if staff is not None and staff.record.stage == accounts.STAGE_SECOND_FACTOR:
            raise AuthRequired("second factor required", login_url="/login/2fa")
        if staff is not None and staff.record.stage == accounts.STAGE_ENROLL:
            raise AuthRequired("two-factor enrolment required", login_url="/security/2fa/setup")
        if request.scope["state"].get("support_ended") and staff is None:
            raise AuthRequired("support access has ended", login_url="/support/ended")
        raise AuthRequired(login_url=await login_url_for(request))
    return actor_or_none


async def login_url_for(request: Request[Any, Any, Any]) -> str:
    """Where a browser without a session goes; a form it was submitting is parked, not lost."""
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    resume = ""
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        tenant = current_tenant(request)
        form = {k: v for k, v in (await request.form()).items()}
        back = request.headers.get("hx-current-url") or request.headers.get("referer") or target
        path = "/" + back.split("://", 1)[1].split("/", 1)[1] if "://" in back else back
        key = await form_stash.park(request.app.state.redis, tenant.slug, path, form)
        target, resume = path, f"&resume={key}"
    return f"/login?next={quote(target, safe='')}{resume}"
