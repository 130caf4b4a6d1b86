"""Who is calling: a staff session cookie or a personal access token, resolved per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.domain import Actor
from app.http.middleware import SESSION_COOKIE
from tenancy.models import Tenant


class AuthRequired(NotAuthorizedException):
    """No valid session or token. ``reason`` is shown to API clients."""

    def __init__(self, reason: str = "authentication required") -> None:
        super().__init__(detail=reason)
        self.reason = reason


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
    state = request.scope["state"]
    if "actor" in state:
        return state["actor"]
    tenant = current_tenant(request)
    request_id = state.get("request_id")
    actor: Actor | None = None
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        if accounts.tenant_of_token(token) != tenant.slug:
            raise AuthRequired("token is not valid for this host")
        user = await accounts.user_for_token(db_session, token)
        if user is None:
            raise AuthRequired("token is invalid or revoked")
        actor = accounts.actor_for(user, ip=client_ip(request), request_id=request_id, via="token")
    else:
        staff = await accounts.resume_session(db_session, request.app.state.settings, request.cookies.get(SESSION_COOKIE))
        if staff is not None:
            state["staff_session"] = staff
            actor = accounts.actor_for(staff.user, ip=client_ip(request), request_id=request_id)
    state["actor"] = actor
    return actor


async def provide_actor(actor_or_none: Actor | None) -> Actor:
    if actor_or_none is None:
        raise AuthRequired()
    return actor_or_none
