"""Shared by controllers: page context, HTMX detection, field errors for forms."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.plugins.htmx import HTMXDetails

from app.domain import Actor, NotFound, PermissionDenied, ValidationFailed
from app.http.errors import http_exception_handler
from app.i18n import gettext as _


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An HTMX request (the app's request class is litestar-htmx's ``HTMXRequest``)."""
    return bool(getattr(request, "htmx", None))


def htmx_details(request: Request[Any, Any, Any]) -> HTMXDetails | None:
    """What HTMX sent with the request (target, trigger, history restore ...), or None."""
    details = getattr(request, "htmx", None)
    return details if details else None


def htmx_target(request: Request[Any, Any, Any]) -> str | None:
    """The element an HTMX request swaps into (``HX-Target``), or None."""
    details = htmx_details(request)
    return details.target if details else None


def page(request: Request[Any, Any, Any], actor: Actor | None = None, **extra: Any) -> dict[str, Any]:
    """What every admin page template gets: the tenant, the actor and the active nav item."""
    state = request.scope.get("state", {})
    return {"tenant": state.get("tenant"), "actor": actor, "locale": state.get("locale"), **extra}


# Messages by error code; the service's English text is the fallback for codes not listed.
ERROR_MESSAGES = {
    "required": "This field is required.",
    "too_long": "This is too long.",
    "too_short": "This is too short.",
    "invalid": "This value is not valid.",
    "invalid_choice": "Please choose one of the options.",
    "invalid_mobile": "Please enter a valid mainland China mobile number (11 digits).",
    "invalid_email": "Please enter a valid email address.",
    "invalid_division": "Province, city and district do not match.",
    "invalid_date": "Please enter a date as YYYY-MM-DD.",
    "out_of_range": "This value is out of range.",
    "invalid_id": "This value is not valid.",
    "unknown_owner": "Please choose an active staff member.",
    "owner_out_of_scope": "You can only assign customers to people in your scope.",
    "too_many": "Too many tags (at most 20).",
    "malformed": "Use lowercase letters, digits and single hyphens, starting with a letter.",
    "reserved": "This address is reserved; please choose another.",
    "taken": "This address is already taken.",
    "invalid_cidr": "Enter IP addresses or CIDR blocks such as 203.0.113.0/24, one per line.",
    "locks_you_out": "Your current address is not in the list: saving it would lock you out.",
    "wrong_password": "The current password is not correct.",
    "needs_letters_and_digits": "The password must contain letters and digits.",
    "invalid_code": "The code is not valid.",
}


def error_text(code: str, fallback: str) -> str:
    return _(ERROR_MESSAGES[code]) if code in ERROR_MESSAGES else fallback


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    """Field name → translated message, the first per field (a form shows one message per field)."""
    found: dict[str, str] = {}
    for error in exc.errors:
        found.setdefault(error.field.split(".")[0], error_text(error.code, error.message))
    return found


FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return http_exception_handler(request, NotFoundException())


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return http_exception_handler(request, PermissionDeniedException())


# Services raise domain errors; the admin shows them as its 404 and 403 pages.
DOMAIN_ERROR_HANDLERS: dict[Any, Any] = {NotFound: _not_found, PermissionDenied: _forbidden}
