"""Dealer sign-up on the base domain: the form, a live slug check, and the new account's address."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body
from litestar.response import Template

from app.domain import ValidationFailed
from app.i18n import gettext as _
from app.i18n import locale_var
from app.mail import mailer_for
from app.platform import service as platform
from app.platform.plans import DEFAULT_PLAN
from tenancy.naming import SLUG_MAX, SLUG_MIN

FORM_FIELDS = ("company_name", "slug", "admin_name", "admin_email")


def base_domain_only(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Platform pages exist only on the base domain; on a dealer's host they are simply not there."""
    state = connection.scope.get("state", {})
    if "tenant" not in state or state["tenant"] is not None:
        raise NotFoundException()


def _slug_message(code: str) -> str:
    messages = {
        "required": _("Please choose an address for your account."),
        "too_short": _("Use at least {n} characters.").format(n=SLUG_MIN),
        "too_long": _("Use at most {n} characters.").format(n=SLUG_MAX),
        "malformed": _(
            "Use lowercase letters, digits and single hyphens; start with a letter and do not end with a hyphen."  # noqa: E501
        ),
        "reserved": _("This address is reserved; please choose another."),
        "taken": _("This address is already taken."),
    }
    return messages.get(code, _("This value is not valid."))


def _error_message(field: str, code: str) -> str:
    """A message that tells the dealer what to type instead, per field and error code."""
    if field == "slug":
        return _slug_message(code)
    if field == "company_name":
        if code == "required":
            return _("Please enter your company name.")
        return _("Use at most {n} characters.").format(n=100)
    if field == "admin_email":
        return _("Please enter a valid email address.")
    if field == "admin_password":
        if code == "too_short":
            return _("Use at least {n} characters.").format(n=platform.PASSWORD_MIN)
        return _("Use at most {n} characters.").format(n=200)
    return _("This value is not valid.")


def _throttle_message(exc: platform.SignUpThrottled) -> str:
    """Why the sign-up was not attempted, and when to try again (in minutes, at least one)."""
    minutes = max(1, -(-exc.retry_after // 60))
    if exc.reason == "email":
        text = _("Too many sign-ups for this email address. Please try again in {minutes} minutes.")
    elif exc.reason == "ip":
        text = _("Too many sign-ups from your network. Please try again in {minutes} minutes.")
    else:
        text = _("Sign-up is briefly unavailable. Please try again in {minutes} minutes.")
    return text.format(minutes=minutes)


def _form_errors(exc: ValidationFailed) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors:
        found.setdefault(error.field, _error_message(error.field, error.code))
    return found


def tenant_url(request: Request[Any, Any, Any], slug: str) -> str:
    """The tenant's address (no path), on the scheme and port this page was served on."""
    base = request.app.state.settings.base_domain
    port = request.url.port
    default_port = {"http": 80, "https": 443}.get(request.url.scheme)
    netloc = f"{slug}.{base}" + (f":{port}" if port and port != default_port else "")
    return f"{request.url.scheme}://{netloc}"


def tenant_login_url(request: Request[Any, Any, Any], slug: str) -> str:
    """The new account's login page, on the scheme and port this page was served on."""
    return tenant_url(request, slug) + "/login"


class SignupController(Controller):
    path = "/signup"
    guards = [base_domain_only]

    def _form(
        self, request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str]
    ) -> dict[str, Any]:
        return {
            "values": values,
            "errors": errors,
            "base_domain": request.app.state.settings.base_domain,
            "slug_min": SLUG_MIN,
            "slug_max": SLUG_MAX,
            "password_min": platform.PASSWORD_MIN,
        }

    @get("/", operation_id="SignupPage", name="signup")
    async def signup_page(self, request: Request[Any, Any, Any]) -> Template:
        """The sign-up form."""
        return Template(
            "platform/signup.html", context=self._form(request, dict.fromkeys(FORM_FIELDS, ""), {})
        )

    @post("/", operation_id="Signup")
    async def signup(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Create the dealer's account, or show the form again with what to fix."""
        values = {key: (data.get(key) or "").strip() for key in FORM_FIELDS}
        state = request.app.state
        try:
            tenant, mailed = await platform.self_service_sign_up(
                state.db.engine,
                platform.SignUp(
                    company_name=values["company_name"],
                    slug=values["slug"],
                    admin_email=values["admin_email"],
                    admin_password=data.get("admin_password") or "",
                    admin_name=values["admin_name"],
                ),
                mailer=mailer_for(state),
                settings=state.settings,
                url_of=lambda slug: tenant_url(request, slug),
                locale=locale_var.get(),
                redis=state.redis,
                ip=request.client.host if request.client else None,
            )
        except platform.SignUpThrottled as exc:
            context = self._form(request, values, {})
            context["limited"] = _throttle_message(exc)
            return Template(
                "platform/signup.html",
                context=context,
                status_code=429,
                headers={"Retry-After": str(max(exc.retry_after, 1))},
            )
        except ValidationFailed as exc:
            # The password is never sent back into the page.
            return Template(
                "platform/signup.html",
                context=self._form(request, values, _form_errors(exc)),
                status_code=422,
            )
        return Template(
            "platform/signup_done.html",
            context={
                "tenant": None,
                "account": tenant,
                "login_url": tenant_login_url(request, tenant.slug),
                "mailed": mailed,
                "hours": state.settings.email_verification_hours,
                "trial_days": DEFAULT_PLAN.trial_days,
            },
            status_code=201,
        )

    @get("/check-slug", operation_id="SignupCheckSlug")
    async def check_slug(self, request: Request[Any, Any, Any], slug: str = "") -> Template:
        """An HTMX fragment saying whether the address is free."""
        normalised = slug.strip().lower()
        code = await platform.slug_availability(request.app.state.db.engine, normalised)
        base = request.app.state.settings.base_domain
        if code == "available":
            message = _("{address} is available.").format(address=f"{normalised}.{base}")
        elif code == "required":
            message = ""
        else:
            message = _slug_message(code)
        return Template("platform/_slug_status.html", context={"code": code, "message": message})
