"""Error pages written straight to ASGI, for refusals that happen before routing."""

from __future__ import annotations

import html
import json
from typing import Any

from app.i18n import gettext as _

# Titles and explanations for each refusal; the text goes through the catalog.
ERRORS: dict[str, tuple[str, str]] = {
    "unknown_host": ("Page not found", "This address is not served by DealerCRM."),
    "unknown_tenant": (
        "Page not found",
        "No dealer account uses this address. Check the spelling of the link.",
    ),
    "tenant_suspended": (
        "Account suspended",
        "This dealer account has been suspended. Please contact your administrator or DealerCRM support.",
    ),
    "csrf": (
        "Request refused",
        "The form's security token was missing or out of date. Reload the page and try again.",
    ),
    "not_found": ("Page not found", "The page you asked for does not exist."),
    "ip_not_allowed": (
        "Access from this network is not allowed",
        "Your dealer only allows access from approved networks. Connect from the "
        "shop network or ask your administrator.",
    ),
    "server_error": ("Something went wrong", "The error has been recorded. Please try again in a moment."),
    # Tenant lifecycle (app/platform/lifecycle.py).
    "tenant_trial_expired": (
        "Your trial has ended",
        "The free trial of this dealer account has ended. Your data is kept: contact "
        "DealerCRM to choose a plan and carry on.",
    ),
    "tenant_deleted": (
        "Account deleted",
        "This dealer account has been deleted. Its data is kept for a while and "
        "DealerCRM support can still restore it.",
    ),
    "tenant_purged": (
        "Account no longer exists",
        "This dealer account was deleted and its data has been removed.",
    ),
    "bad_text": (
        "Invalid characters",
        "A field contains a character that no field accepts. Remove it and try again.",
    ),
    "email_not_verified": (
        "Confirm your email first",
        "The owner of this account has not confirmed their email address yet. "
        "Open the link in the email we sent.",
    ),
}


def _wants_json(scope: dict[str, Any]) -> bool:
    accept = ""
    for key, value in scope.get("headers", []):
        if key == b"accept":
            accept = value.decode("latin-1")
    return scope["path"].startswith("/graphql") or (
        "application/json" in accept and "text/html" not in accept
    )


async def render_error_page(scope: dict[str, Any], send: Any, status: int, code: str) -> None:
    title, detail = ERRORS.get(code, ERRORS["server_error"])
    if _wants_json(scope):
        body = json.dumps({"errors": [{"message": _(detail), "extensions": {"code": code.upper()}}]}).encode()
        content_type = b"application/json"
    else:
        engine = getattr(scope.get("app"), "template_engine", None)
        if engine is not None:
            html = engine.get_template("errors/page.html").render(
                status=status, title=_(title), detail=_(detail), code=code
            )
        else:
            html = f"<h1>{status}</h1><p>{_(detail)}</p>"
        body = html.encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def input_refusal_text(field: str, code: str) -> str:
    """What is wrong with a field, in the reader's language (the value itself is never repeated)."""
    from app.text_input import NUL

    if code == NUL:
        message = _("The field “%(field)s” contains a NUL character (\\x00), which no field accepts.")
    else:
        message = _("The field “%(field)s” contains an invalid Unicode character (a lone surrogate).")
    return message % {"field": field or _("(field name)")}


async def render_input_refusal(scope: dict[str, Any], send: Any, field: str, code: str) -> None:
    """400 for poisoned text (NUL, lone surrogate): an error page naming the field, a fragment for
    HTMX (shown as a toast, nothing swapped), JSON for API clients."""
    status = 400
    text = input_refusal_text(field, code)
    headers: list[tuple[bytes, bytes]] = []
    if _wants_json(scope):
        body = json.dumps(
            {"errors": [{"message": text, "extensions": {"code": code.upper(), "field": field}}]}
        ).encode()
        content_type = b"application/json"
    elif _header(scope, b"hx-request") == "true":
        body = f'<div class="alert error" role="alert">{html.escape(text)}</div>'.encode()
        content_type = b"text/html; charset=utf-8"
        headers = [
            (b"hx-reswap", b"none"),
            (b"hx-trigger", json.dumps({"toast": text}).encode()),
        ]
    else:
        title, _detail = ERRORS["bad_text"]
        engine = getattr(scope.get("app"), "template_engine", None)
        if engine is not None:
            page = engine.get_template("errors/page.html").render(
                status=status, title=_(title), detail=text, code="bad_text"
            )
        else:
            page = f"<h1>{status}</h1><p>{html.escape(text)}</p>"
        body = page.encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
