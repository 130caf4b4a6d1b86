"""The console's other pages: jobs and failures, the platform audit log, recorded mail."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from app.http.query_params import BIGINT_MAX, day_start, parse_day
from app.mail import recorded_mail
from app.platform import jobs
from app.platform.audit import ACTIONS, AuditFilter, list_entries
from app.platform.models import PlatformOperator
from app.runtime import QUEUE_NAME
from web.controllers.operator import OperatorController
from web.controllers.signup import base_domain_only

CONSOLE_TZ = ZoneInfo("Asia/Shanghai")
TOKEN_IN_LINK = re.compile(r"token=[A-Za-z0-9_.\-]+")


def _day(value: str, *, end: bool = False) -> datetime | None:
    """``2026-11-23`` → that day's start (or the next day's start for ``end``) in China time; None
    for anything else, extreme years included (``query_params``)."""
    day = parse_day(value)
    return day_start(day, CONSOLE_TZ, end=end) if day else None


class OperatorPagesController(Controller):
    path = "/operator"
    guards = [base_domain_only]
    dependencies = OperatorController.dependencies

    @get("/jobs", operation_id="OperatorJobs")
    async def jobs_page(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, page: int = 1
    ) -> Template:
        """Queue length, worker heartbeat, recent failed exports (a page of tenants at a time) and backups."""
        state = request.app.state
        found = await jobs.overview(state.db.engine, state.redis, QUEUE_NAME, page=page)
        return Template(
            "platform/jobs.html",
            context={
                "tenant": None,
                "operator": operator,
                "nav": "jobs",
                "jobs": found,
                "per_page": jobs.TENANTS_PER_PAGE,
            },
        )

    @get("/audit", operation_id="OperatorAudit")
    async def audit_page(
        self,
        request: Request[Any, Any, Any],
        operator: PlatformOperator,
        action: str = "",
        tenant_slug: str = "",
        who: str = "",
        since: str = "",
        until: str = "",
        before: int | None = Parameter(default=None, ge=1, le=BIGINT_MAX),
    ) -> Template:
        """Every operator (and system) action, newest first, filterable; 50 a page."""
        filters = AuditFilter(
            action=action or None,
            tenant_slug=tenant_slug.strip().lower() or None,
            operator=who.strip()[:100] or None,
            since=_day(since),
            until=_day(until, end=True),
        )
        entries = await list_entries(request.app.state.db.engine, filters, limit=50, before_id=before)
        query = {
            k: v
            for k, v in {
                "action": action,
                "tenant_slug": tenant_slug,
                "who": who,
                "since": since,
                "until": until,
            }.items()
            if v
        }
        return Template(
            "platform/audit.html",
            context={
                "tenant": None,
                "operator": operator,
                "nav": "audit",
                "entries": entries,
                "actions": ACTIONS,
                "form": {
                    "action": action,
                    "tenant_slug": tenant_slug,
                    "who": who,
                    "since": since,
                    "until": until,
                },
                "query": urlencode(query),
                "next_before": entries[-1].id if len(entries) == 50 else None,
            },
        )

    @get("/mail", operation_id="OperatorMail")
    async def mail_page(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, to: str = ""
    ) -> Template:
        """The newest mail the platform sent or recorded (verification links...)."""
        messages = await recorded_mail(request.app.state.db.engine, to=to or None, limit=100)
        # Links in the mail are the owners' to open, not the operators': their tokens are not shown,
        # except on a developer's machine with no mail server, where nobody else could open them.
        settings = request.app.state.settings
        in_full = settings.environment == "development" and not settings.smtp_url
        bodies = {m.id: m.body if in_full else TOKEN_IN_LINK.sub("token=…", m.body) for m in messages}
        return Template(
            "platform/mail.html",
            context={
                "tenant": None,
                "operator": operator,
                "nav": "mail",
                "messages": messages,
                "bodies": bodies,
                "links_in_full": in_full,
                "to": to,
            },
        )
