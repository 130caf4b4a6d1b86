"""Helpers for the lifecycle tests: an operator at the console, recorded mail, the platform audit log.

林涛 (an operator of the DealerCRM operations team) works the console in every test; the dealers
are the usual cast from crm_testkit (王建国 the owner, 李静 the admin, 张伟 in sales...).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Any

from crm_testkit import Browser, browser
from litestar import Litestar
from sqlalchemy import text

from app.mail import recorded_mail
from app.platform import service as platform

OPERATOR_PASSWORD = "ops-secret-42"
_serial = itertools.count(1)


async def new_operator(app: Litestar, name: str = "林涛") -> str:
    """A fresh operator account (its own email, so audit entries are this test's alone)."""
    email = f"ops{next(_serial)}-{id(app) % 10000}@dealercrm.example"
    async with app.state.db.platform_session() as session:
        await platform.create_operator(session, email=email, name=name, password=OPERATOR_PASSWORD)
    return email


async def console_for(app: Litestar, email: str) -> Browser:
    console = browser(app, "localhost")
    await console.get("/operator/login")
    response = await console.post_form("/operator/login", {"email": email, "password": OPERATOR_PASSWORD})
    assert response.status_code == 303, response.text
    return console


async def audit_entries(
    app: Litestar, tenant_slug: str | None = None, action: str | None = None
) -> list[dict[str, Any]]:
    """Platform audit entries, oldest first."""
    sql = "SELECT * FROM public.platform_audit WHERE true"
    params: dict[str, Any] = {}
    if tenant_slug:
        sql += " AND tenant_slug = :slug"
        params["slug"] = tenant_slug
    if action:
        sql += " AND action = :action"
        params["action"] = action
    async with app.state.db.engine.connect() as conn:
        rows = (await conn.execute(text(sql + " ORDER BY id"), params)).mappings().all()
    return [dict(r) for r in rows]


async def last_mail(app: Litestar, to: str, kind: str = "email_verification") -> Any:
    messages = await recorded_mail(app.state.db.engine, to=to, kind=kind)
    assert messages, f"no {kind} mail to {to}"
    return messages[0]


def link_in(body: str, path: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path)}\?token=\S+", body)
    assert found, body
    return found.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


class SettingsOverride:
    """Swap the app's (frozen) settings for a test: ``with SettingsOverride(app, x=1): ...``."""

    def __init__(self, app: Litestar, **changes: Any) -> None:
        self.app = app
        self.changes = changes
        self.saved: Any = None

    def __enter__(self) -> Any:
        self.saved = self.app.state.settings
        self.app.state.settings = replace(self.saved, **self.changes)
        return self.app.state.settings

    def __exit__(self, *exc: object) -> None:
        self.app.state.settings = self.saved
