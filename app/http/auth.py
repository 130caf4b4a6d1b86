"""Who is calling: a staff session cookie or a personal access token, resolved per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlsplit

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
            raise AuthRequired("token is invalid or revoked")  # expired ones too
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
        if staff is not None and staff.record.stage == accounts.STAGE_NEW_PASSWORD:
            raise AuthRequired("a password of your own is required", login_url="/password/new")
        if staff is not None and staff.record.stage == accounts.STAGE_ENROLL:
            raise AuthRequired("two-factor enrolment required", login_url="/security/2fa/setup")
        if request.scope["state"].get("support_ended") and staff is None:
            raise AuthRequired("support access has ended", login_url="/support/ended")
        raise AuthRequired(login_url=await login_url_for(request))
    return actor_or_none


def same_host_path(request: Request[Any, Any, Any], url: str | None) -> str | None:
    """The path (and query) of ``url`` when it points at this very host, else None.

    ``Referer`` and ``HX-Current-URL`` come from the client: any shape (``http://host`` with no
    path, another site, garbage) must give None or a path, never an exception.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        host = (request.headers.get("host") or "").lower()
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


async def login_url_for(request: Request[Any, Any, Any]) -> str:
    """Where a browser without a session goes. A form it was submitting when its session ran out is
    parked, not lost (``form_stash``: expired sessions only, size-capped, limited per address)."""
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    resume = ""
    if request.method == "POST":
        # Back to the page the form was on (same host only), not to the URL it posted to.
        target = (
            same_host_path(request, request.headers.get("hx-current-url"))
            or same_host_path(request, request.headers.get("referer"))
            or target
        )
    content_type = request.headers.get("content-type", "")
    # A session cookie that no longer resolves: the user's session ran out mid-form.
    expired_session = bool(request.cookies.get(SESSION_COOKIE)) and not request.scope["state"].get(
        "staff_session"
    )
    if (
        request.method == "POST"
        and content_type.startswith("application/x-www-form-urlencoded")
        and expired_session
        and len(await request.body()) <= form_stash.STASH_MAX_BYTES
    ):
        form = {k: v for k, v in (await request.form()).items()}
        key = await form_stash.park(
            request.app.state.redis, current_tenant(request).slug, target, form, ip=client_ip(request)
        )
        if key:
            resume = f"&resume={key}"
    return f"/login?next={quote(target, safe='')}{resume}"
