"""ASGI middleware, outermost first: request id and access log, security headers, locale, tenant
resolution, refusal of poisoned text (NUL, lone surrogates), CSRF.

Plain ASGI rather than Litestar middleware so each layer is small and sees every request,
including ones that never reach a route (unknown hosts, refused CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes

from multipart import MultipartSegment, ParserError, PushMultipartParser  # type: ignore[import-untyped]
from sqlalchemy import select

from app import text_input
from app.http.pages import render_error_page, render_input_refusal
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
# Every cookie that authenticates by merely being sent (an ambient credential), strongest first:
# the staff session, a support session (app/platform/support.py SUPPORT_COOKIE) and the operator
# console's session (web/controllers/operator.py OPERATOR_COOKIE). Each needs CSRF on unsafe requests.
SUPPORT_COOKIE = "dcrm_support"
OPERATOR_COOKIE = "dcrm_operator"
CREDENTIAL_COOKIES = (SESSION_COOKIE, SUPPORT_COOKIE, OPERATOR_COOKIE)
CSRF_COOKIE = "dcrm_csrf"
CSRF_HEADER = b"x-csrf-token"
CSRF_FIELD = "_csrf"
GRAPHQL_PATH = "/graphql"
# Paths served the same on every host, before any tenant lookup.
HOSTLESS_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/")
# Public forms embedded on dealers' own sites (app.leads.webform): no cookie rides on them, each form
# carries its own signed token instead of the CSRF token, and other sites may frame them.
PUBLIC_FORM_PATHS = ("/lead-form",)
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
        if scope["path"].startswith("/graphql") or (
            "application/json" in accept and "text/html" not in accept
        ):
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


def ambient_credential(jar: dict[str, str]) -> tuple[str, str] | None:
    """The strongest credential cookie the request carries (name, value), or None."""
    for name in CREDENTIAL_COOKIES:
        if jar.get(name):
            return name, jar[name]
    return None


def bound_csrf_token(secret_key: str, credential: tuple[str, str]) -> str:
    """The CSRF token of one server-side session: an HMAC of its token under the app's secret.

    A new session (every login) has a new token, so the CSRF token rotates with it, and a token
    planted before login (a cookie and field pair the attacker chose) is worth nothing after it.
    """
    name, value = credential
    digest = hmac.new(secret_key.encode(), f"csrf:{name}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _set_credential(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """The credential cookie a response sets (a login), if any; deletions do not count."""
    found: dict[str, str] = {}
    for key, value in headers:
        if key.lower() != b"set-cookie":
            continue
        text = value.decode("latin-1")
        name, _, rest = text.partition("=")
        token = rest.split(";", 1)[0].strip().strip('"')
        lowered = text.lower()
        if name in CREDENTIAL_COOKIES and token and "max-age=0" not in lowered:
            found[name] = token
    for name in CREDENTIAL_COOKIES:
        if name in found:
            return name, found[name]
    return None


class CsrfMiddleware:
    """CSRF check on every unsafe request that could ride on a cookie.

    The token is echoed by forms (``_csrf``) and HTMX (``X-CSRF-Token``). With an ambient credential
    (staff session, support session, operator session) the expected token is bound to it
    (``bound_csrf_token``: an HMAC of the session's token), so it changes at every login and cannot
    be chosen by anyone else; the ``dcrm_csrf`` cookie then merely carries a copy for the pages.
    Before login (no credential) it is the double-submit cookie token. Requests that carry no ambient
    credential and authenticate by a bearer token (or not at all, on ``/graphql``) are exempt.
    """

    UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = cookies(scope)
        settings = scope["app"].state.settings
        credential = ambient_credential(jar)
        send = self._rebinding(send, settings)
        if scope["method"] not in self.UNSAFE:
            await self._issue_token(scope, receive, send, jar.get(CSRF_COOKIE), credential)
            return
        authorization = header(scope, b"authorization") or ""
        if scope["path"] in PUBLIC_FORM_PATHS or (
            credential is None
            and (authorization.lower().startswith("bearer ") or scope["path"] == GRAPHQL_PATH)
        ):
            # No ambient credential to ride on: the API authenticates (and refuses) on its own.
            await self.app(scope, receive, send)
            return
        expected = bound_csrf_token(settings.secret_key, credential) if credential else jar.get(CSRF_COOKIE)
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
            await self.app(scope, _replaying(body_messages, receive), send)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    def _rebinding(send: Send, settings: Any) -> Send:
        """``send`` that, when a response opens a session (login), gives the browser that session's
        CSRF token at once, so the next form it submits carries the rotated token."""

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                opened = _set_credential(headers)
                if opened is not None:
                    token = bound_csrf_token(settings.secret_key, opened)
                    headers.append((b"set-cookie", _csrf_cookie(token, settings).encode()))
            await send(message)

        return wrapped

    async def _issue_token(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        existing: str | None,
        credential: tuple[str, str] | None,
    ) -> None:
        """Safe requests: make sure the browser holds the token that pages echo."""
        settings = scope["app"].state.settings
        if credential is not None:
            token = bound_csrf_token(settings.secret_key, credential)
        else:
            token = existing or new_token(24)
        scope.setdefault("state", {})["csrf_token"] = token
        if existing == token:
            await self.app(scope, receive, send)
            return
        cookie = (b"set-cookie", _csrf_cookie(token, settings).encode())
        await self.app(scope, receive, sending_headers(send, cookie))


def _csrf_cookie(token: str, settings: Any) -> str:
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"


def _replaying(messages: list[dict[str, Any]], receive: Receive) -> Receive:
    """``receive`` that hands out the already-read body messages again, then the rest."""
    pending = list(messages)

    async def replay() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


# -- poisoned text --------------------------------------------------------------------------------

# What the text check reads of a form body at most; Litestar refuses larger bodies on its own.
TEXT_CHECK_MAX_BODY = 16 * 1024 * 1024


def _decode_component(raw: str) -> str:
    """A percent-decoded query or form component as the app would see it, except that a UTF-8
    encoded surrogate stays a surrogate (so it is caught) rather than becoming U+FFFD."""
    data = unquote_to_bytes(raw.replace("+", " "))
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _urlencoded_problem(raw: str) -> tuple[str, str] | None:
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        key = _decode_component(name)
        if text_input.problem(key):
            return "", text_input.problem(key) or text_input.NUL
        if code := text_input.problem(_decode_component(value)):
            return key, code
    return None


def _multipart_problem(body: bytes, boundary: bytes) -> tuple[str, str] | None:
    """The first text part (not a file) with NUL, a lone surrogate or bytes that are not UTF-8."""
    segment: MultipartSegment | None = None
    data = bytearray()
    parser = PushMultipartParser(boundary)
    try:
        for part in parser.parse(body):
            if isinstance(part, MultipartSegment):
                segment, data = part, bytearray()
            elif part:
                if segment is not None and not segment.filename:
                    data.extend(part)
            elif segment is not None:
                name = segment.name or ""
                if text_input.problem(name):
                    return "", text_input.problem(name) or text_input.NUL
                if not segment.filename:
                    try:
                        value = bytes(data).decode(segment.charset or "utf-8")
                    except (UnicodeDecodeError, LookupError):
                        return name, text_input.SURROGATE
                    if code := text_input.problem(value):
                        return name, code
                segment = None
    except ParserError:
        return None  # malformed multipart: the framework answers that itself
    return None


class TextInputMiddleware:
    """Refuse NUL bytes and lone surrogates in the query string and in form bodies (url-encoded and
    multipart), in one place, with a 400 naming the field, before they reach PostgreSQL or asyncpg
    (a 500 whose traceback would log the data). ``/graphql`` checks its own input
    (``app.text_input`` on variables and literals)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith((GRAPHQL_PATH, *HOSTLESS_PREFIXES)):
            await self.app(scope, receive, send)
            return
        found = _urlencoded_problem(scope.get("query_string", b"").decode("latin-1"))
        messages: list[dict[str, Any]] = []
        content_type = header(scope, b"content-type") or ""
        is_form = content_type.startswith("application/x-www-form-urlencoded")
        is_multipart = content_type.startswith("multipart/form-data")
        if found is None and (is_form or is_multipart) and scope["method"] not in ("GET", "HEAD"):
            body = bytearray()
            while True:
                message = await receive()
                messages.append(message)
                body.extend(message.get("body", b""))
                if not message.get("more_body") or len(body) > TEXT_CHECK_MAX_BODY:
                    break
            if is_form:
                found = _urlencoded_problem(bytes(body).decode("latin-1"))
            else:
                boundary = re.search(r'boundary="?([^";]+)"?', content_type)
                if boundary:
                    found = _multipart_problem(bytes(body), boundary.group(1).encode("latin-1"))
        if found is not None:
            field, code = found
            # The value is never logged; the field name only when it is itself clean.
            log.info("refused poisoned input", extra={"field": field[:60], "problem": code})
            await render_input_refusal(scope, send, field[:60], code)
            return
        await self.app(scope, _replaying(messages, receive) if messages else receive, send)


# -- security headers -----------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; "
    # Templates still carry style attributes; scripts, the real danger, are 'self' only.
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
# Responses that may be stored by browsers and proxies: the static files and nothing else.
CACHEABLE_PREFIXES = ("/static/",)


class SecurityHeadersMiddleware:
    """Headers on every response: no framing, no MIME sniffing, no referrer to other sites, a
    Content-Security-Policy without inline scripts, and ``Cache-Control: private, no-store`` on
    everything but static files (pages, fragments and downloads carry personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)
        framable = scope["path"] in PUBLIC_FORM_PATHS

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {key.lower() for key, _ in headers}
                headers.extend(
                    [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                )
                if not framable:
                    headers.append((b"x-frame-options", b"DENY"))
                if b"content-security-policy" not in present:
                    policy = CONTENT_SECURITY_POLICY
                    if framable:
                        policy = policy.replace("frame-ancestors 'none'", "frame-ancestors *")
                    headers.append((b"content-security-policy", policy.encode()))
                if not cacheable:
                    headers[:] = [
                        (k, v) for k, v in headers if k.lower() not in (b"cache-control", b"pragma")
                    ]
                    headers.append((b"cache-control", b"private, no-store"))
            await send(message)

        await self.app(scope, receive, with_headers)
