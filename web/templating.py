"""Jinja2 set-up: translation callables, CSRF token, locale and formatting helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import pass_context
from litestar.plugins.jinja import JinjaTemplateEngine

from app.i18n import gettext, locale_var, ngettext
from app.i18n import gettext as _
from app.kit.enums import N_
from app.kit.registry import children_of

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


@pass_context
def csrf_token(ctx: Any) -> str:
    request = ctx.get("request")
    return request.scope.get("state", {}).get("csrf_token", "") if request is not None else ""


def fmt_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(DISPLAY_TZ), fmt, locale=locale_var.get())


def fmt_date(value: date | None) -> str:
    return format_date(value, "yyyy-MM-dd", locale=locale_var.get()) if value else ""


def fmt_number(value: int | float | None) -> str:
    return format_decimal(value or 0, locale=locale_var.get())


# (marker in the User-Agent, how people call it), most specific first: Edge and WeChat say "Chrome" too.
_BROWSERS = (
    ("MicroMessenger", "微信"),
    ("DingTalk", "钉钉"),
    ("wxwork", "企业微信"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("QQBrowser", "QQ 浏览器"),
    ("UCBrowser", "UC 浏览器"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx", "httpx"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("HarmonyOS", "HarmonyOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def fmt_user_agent(value: str | None) -> str:
    """A User-Agent as people read it: "Chrome · Windows", "微信 · iPhone"; unknown ones shortened."""
    if not value:
        return ""
    browser = next((name for marker, name in _BROWSERS if marker in value), None)
    system = next((name for marker, name in _SYSTEMS if marker in value), None)
    if browser is None and system is None:
        return value[:40]
    return " · ".join(part for part in (browser, system) if part)


def platform_action(action: str) -> str:
    """A platform audit action in the reader's language (an unknown one as recorded)."""
    from app.platform.audit import ACTION_LABELS

    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


MAIL_STATUS = {
    "recorded": N_("Recorded, not sent (no mail server)"),
    "sent": N_("Sent"),
    "failed": N_("Sending failed"),
}


def mail_status(transport: str, status: str) -> str:
    return _(MAIL_STATUS[status]) if status in MAIL_STATUS else f"{transport} · {status}"


def platform_details(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A platform audit entry's details as (label, value): plans by name, times in China's zone."""
    from app.platform.audit import DETAIL_LABELS
    from app.platform.quotas import plan_label

    shown = []
    for key, value in (details or {}).items():
        if value in (None, ""):
            continue
        text = str(value)
        if key in ("from", "to"):
            text = plan_label(text)
        elif isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
            try:
                text = fmt_datetime(datetime.fromisoformat(value))
            except ValueError:
                pass
        shown.append((_(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key, text))
    return shown


def setup(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        csrf_token=csrf_token,
        current_locale=lambda: locale_var.get(),
        children_of=children_of,
        platform_action=platform_action,
        platform_details=platform_details,
        mail_status=mail_status,
    )
    env.filters.update(datetime=fmt_datetime, date=fmt_date, number=fmt_number, user_agent=fmt_user_agent)
    env.autoescape = True
