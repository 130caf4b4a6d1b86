"""Turning exceptions into responses: JSON for the API, pages and redirects for the admin."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect, Template

from app.http.auth import AuthRequired
from app.http.pages import ERRORS
from app.i18n import gettext as _
from app.platform.quotas import ApiQuotaExceeded

log = logging.getLogger("dealercrm.http")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/graphql") or (
        "application/json" in accept and "text/html" not in accept
    )


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def auth_required_handler(request: Request[Any, Any, Any], exc: AuthRequired) -> Response[Any]:
    if _wants_json(request):
        return Response(
            {"errors": [{"message": exc.reason, "extensions": {"code": "UNAUTHENTICATED"}}]},
            status_code=401,
            media_type=MediaType.JSON,
            headers={"WWW-Authenticate": 'Bearer realm="dealercrm"'},
        )
    location = exc.login_url or "/login"
    if _is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


def _error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str, code: str) -> Template:
    """The error as a page: inside the admin, with its navigation, for a signed-in staff member
    (so a wrong link is one click from where they were going); a bare card otherwise."""
    state = request.scope.get("state", {})
    actor, tenant = state.get("actor"), state.get("tenant")
    signed_in = actor is not None and tenant is not None and _is_admin_host(request)
    return Template(
        "errors/admin_page.html" if signed_in else "errors/page.html",
        context={
            "status": status,
            "title": title,
            "detail": detail,
            "code": code,
            "tenant": tenant,
            "actor": actor if signed_in else None,
        },
        status_code=status,
    )


def _is_admin_host(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith("/operator")


def _page(request: Request[Any, Any, Any], status: int, code: str) -> Template:
    title, detail = ERRORS[code]
    return _error_page(request, status, _(title), _(detail), code)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if _wants_json(request):
        return Response({"errors": [{"message": exc.detail}]}, status_code=status, media_type=MediaType.JSON)
    if isinstance(exc, NotFoundException) or status == 404:
        return _page(request, 404, "not_found")
    if status == 403:
        if exc.detail in ERRORS:
            return _page(request, 403, exc.detail)
        return _error_page(
            request, 403, _("Not allowed"), _("You do not have permission to do this."), "forbidden"
        )
    if status >= 500:
        return _page(request, status, "server_error")
    if _is_htmx(request):
        return Response(exc.detail, status_code=status, media_type=MediaType.TEXT)
    # A malformed request from a browser (a broken link, a hand-edited form): a page that says so.
    return _error_page(
        request,
        status,
        _("Request refused"),
        _("The request could not be understood. Go back and try again."),
        "bad_request",
    )


def unhandled_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error")
    try:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)
    except Exception:  # pragma: no cover - reporting must never break the response
        pass
    if _wants_json(request):
        return Response(
            {"errors": [{"message": "internal error"}]}, status_code=500, media_type=MediaType.JSON
        )
    return _page(request, 500, "server_error")


def api_quota_handler(request: Request[Any, Any, Any], exc: ApiQuotaExceeded) -> Response[Any]:
    """429 with Retry-After and a message saying which quota and when it resets."""
    return Response(
        {
            "errors": [
                {
                    "message": exc.detail,
                    "extensions": {
                        "code": "API_QUOTA_EXCEEDED",
                        "limit": exc.limit,
                        "retryAfter": exc.retry_after,
                    },
                }
            ]
        },
        status_code=429,
        media_type=MediaType.JSON,
        headers={"Retry-After": str(exc.retry_after)},
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiQuotaExceeded: api_quota_handler,
    AuthRequired: auth_required_handler,
    HTTPException: http_exception_handler,
    Exception: unhandled_exception_handler,
}
