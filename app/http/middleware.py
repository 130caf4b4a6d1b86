"""ASGI middleware, outermost first: request id and access log, tenant resolution, CSRF.

Plain ASGI rather than Litestar middleware so each layer is small and sees every request,
including ones that never reach a route (unknown hosts, refused CSRF).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select

from app.http.pages import render_error_page
from app.i18n import LOCALE_COOKIE, locale_var, pick_locale
from app.observability import request_id_var, tenant_var
from app.security import new_token, same
from tenancy.models import SuspendedReason, Tenant, TenantStatus
from tenancy.resolution import resolve_host

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("dealercrm.http")

SESSION_COOKIE = "dcrm_session"
CSRF_COOKIE = "dcrm_csrf"
CSRF_HEADER = b"x-csrf-token"
CSRF_FIELD = "_csrf"
GRAPHQL_PATH = "/graphql"
# Paths served the same on every host, before any tenant lookup.
HOSTLESS_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def cookies(scope: Scope) -> dict[str, str]:
    raw = header(scope, b"cookie") or ""
    found: dict[str, str] = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found.setdefault(name, value)
    return found


def sending_headers(send: Send, *headers: tuple[bytes, bytes]) -> Send:
    """``send`` that adds ``headers`` to the response start."""

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", []).extend(headers)
        await send(message)

    return wrapped


class RequestIdMiddleware:
    """Give every request an id (or keep a well-formed incoming one) and log it when done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        tenant_token = tenant_var.set(None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not scope["path"].startswith(HOSTLESS_PREFIXES):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)
            tenant_var.reset(tenant_token)


class LocaleMiddleware:
    """zh-CN unless the user chose English (``?lang=en`` sticks in a cookie)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        requested = (query.get("lang") or [None])[0]
        locale = pick_locale(requested, cookies(scope).get(LOCALE_COOKIE))
        scope.setdefault("state", {})["locale"] = locale
        token = locale_var.set(locale)

        if requested == locale:
            cookie = f"{LOCALE_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax"
            send = sending_headers(send, (b"set-cookie", cookie.encode()))
        try:
            await self.app(scope, receive, send)
        finally:
            locale_var.reset(token)


# Paths an unverified tenant's host still serves: the verification link and its "resend" page.
VERIFICATION_PATHS = ("/verify-email",)


def _refusal(tenant: Tenant, now: datetime) -> tuple[int, str] | None:
    """Why this tenant's host serves nothing right now (status and error page), or None."""
    if tenant.status == TenantStatus.PURGED:
        return 410, "tenant_purged"
    if tenant.status == TenantStatus.DELETED:
        return 403, "tenant_deleted"
    if tenant.status == TenantStatus.SUSPENDED:
        if tenant.suspended_reason == SuspendedReason.TRIAL_EXPIRED:
            return 403, "tenant_trial_expired"
        return 403, "tenant_suspended"
    # The cron job suspends expired trials; until it runs the host refuses them all the same.
    if tenant.plan == "trial" and tenant.trial_ends_at is not None and tenant.trial_ends_at <= now:
        return 403, "tenant_trial_expired"
    return None


class TenancyMiddleware:
    """Host → tenant. Unknown hosts get a 404 page; suspended, expired, deleted and purged tenants a
    clear refusal; a tenant whose owner has not confirmed the sign-up email only its verification
    pages (everything else is sent to ``/verify-email/pending``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(HOSTLESS_PREFIXES):
            await self.app(scope, receive, send)
            return
        litestar_app = scope["app"]
        settings = litestar_app.state.settings
        target = resolve_host(header(scope, b"host"), settings.base_domain)
        state = scope.setdefault("state", {})
        if not target.known_domain:
            await render_error_page(scope, send, 404, "unknown_host")
            return
        if target.slug is None:
            state["tenant"] = None
            await self.app(scope, receive, send)
            return
        tenant = await self._lookup(litestar_app.state.db, target.slug)
        if tenant is None:
            await render_error_page(scope, send, 404, "unknown_tenant")
            return
        tenant_var.set(tenant.slug)
        refusal = _refusal(tenant, datetime.now(UTC))
        if refusal is not None:
            await render_error_page(scope, send, *refusal)
            return
        if tenant.email_verified_at is None and not scope["path"].startswith(VERIFICATION_PATHS):
            await self._verify_first(scope, send)
            return
        state["tenant"] = tenant
        await self.app(scope, receive, send)

    @staticmethod
    async def _verify_first(scope: Scope, send: Send) -> None:
        """Browsers go to the "confirm your email" page (it offers a new link); the API gets a 403."""
        accept = header(scope, b"accept") or ""
        if scope["path"].startswith("/graphql") or ("application/json" in accept and "text/html" not in accept):
            await render_error_page(scope, send, 403, "email_not_verified")
            return
        location = b"/verify-email/pending"
        if header(scope, b"hx-request") == "true":  # htmx would follow a 303 inside the page
            status, headers = 200, [(b"hx-redirect", location), (b"content-length", b"0")]
        else:
            status, headers = 303, [(b"location", location), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _lookup(db: Any, slug: str) -> Tenant | None:
        async with db.engine.connect() as conn:
            row = (
                (await conn.execute(select(Tenant.__table__).where(Tenant.__table__.c.slug == slug)))
                .mappings()
                .first()
            )
        return Tenant(**row) if row else None


class CsrfMiddleware:
    """Double-submit CSRF check on every unsafe request that could ride on a cookie.

    The token lives in a cookie and is echoed by forms (``_csrf``) and HTMX (``X-CSRF-Token``).
    Requests authenticated only by a bearer token carry no ambient credentials and are exempt.
    """

    UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = cookies(scope)
        if scope["method"] not in self.UNSAFE:
            await self._issue_token(scope, receive, send, jar.get(CSRF_COOKIE))
            return
        authorization = header(scope, b"authorization") or ""
        if SESSION_COOKIE not in jar and (
            authorization.lower().startswith("bearer ") or scope["path"] == GRAPHQL_PATH
        ):
            # No ambient credential to ride on: the API authenticates (and refuses) on its own.
            await self.app(scope, receive, send)
            return
        expected = jar.get(CSRF_COOKIE)
        supplied = header(scope, CSRF_HEADER)
        body_messages: list[dict[str, Any]] = []
        if not supplied:
            content_type = header(scope, b"content-type") or ""
            if content_type.startswith("application/x-www-form-urlencoded"):
                body = b""
                while True:
                    message = await receive()
                    body_messages.append(message)
                    body += message.get("body", b"")
                    if not message.get("more_body"):
                        break
                supplied = (parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD) or [None])[0]
            elif content_type.startswith("multipart/form-data"):
                supplied = None  # multipart forms must send the header (HTMX does)
        if not same(expected, supplied):
            await render_error_page(scope, send, 403, "csrf")
            return
        scope.setdefault("state", {})["csrf_token"] = expected
        if body_messages:
            pending = list(body_messages)

            async def replay() -> dict[str, Any]:
                if pending:
                    return pending.pop(0)
                return await receive()

            await self.app(scope, replay, send)
        else:
            await self.app(scope, receive, send)

    async def _issue_token(self, scope: Scope, receive: Receive, send: Send, existing: str | None) -> None:
        """Safe requests: make sure the browser holds a token that pages can echo."""
        token = existing or new_token(24)
        scope.setdefault("state", {})["csrf_token"] = token
        if existing:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope["app"].state.settings.secure_cookies else ""
        cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
        await self.app(scope, receive, sending_headers(send, (b"set-cookie", cookie.encode())))
