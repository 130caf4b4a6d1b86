"""Sign-up cannot be used to provision schemas and send mail without limit.

Every valid POST to /signup creates a schema and sends an email. Now one address and one email may
do so a bounded number of times (with Redis down: not at all, it fails closed), the form says why
and when to try again, and a tenant whose owner never confirmed the email is purged by a cron job.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import httpx
from crm_testkit import Browser
from litestar import Litestar
from sqlalchemy import text, update

from app.platform import lifecycle
from app.platform.service import SignUp, sign_up
from tenancy.models import Tenant, TenantStatus

_serial = itertools.count(1)


def signup_browser(app: Litestar, ip: str) -> Browser:
    return Browser(
        transport=httpx.ASGITransport(app=app, client=(ip, 5000)),
        base_url="https://localhost",
        follow_redirects=False,
    )


def form(email: str | None = None) -> dict[str, str]:
    n = next(_serial)
    return {
        "company_name": "滥用测试家电",
        "slug": f"abuse{n}-{id(form) % 1000}",
        "admin_name": "测试",
        "admin_email": email or f"abuse{n}@example.com",
        "admin_password": "correct-horse-9",
    }


async def schema_count(app: Litestar) -> int:
    async with app.state.db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM public.tenants"))).scalar_one())


async def test_sign_ups_from_one_address_are_limited_with_a_clear_message(app: Litestar) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, signup_per_ip_per_hour=2, signup_per_email_per_day=100)
    try:
        client = signup_browser(app, "198.51.100.7")
        await client.get("/signup")
        assert (await client.post_form("/signup", form())).status_code == 201
        assert (await client.post_form("/signup", form())).status_code == 201
        before = await schema_count(app)
        refused = await client.post_form("/signup", form())
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "您所在网络的注册次数过多" in refused.text and "分钟后重试" in refused.text
        assert await schema_count(app) == before  # nothing provisioned
        # Another address may still sign up.
        other = signup_browser(app, "198.51.100.8")
        await other.get("/signup")
        assert (await other.post_form("/signup", form())).status_code == 201
    finally:
        app.state.settings = settings


async def test_sign_ups_for_one_email_are_limited_across_addresses(app: Litestar) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, signup_per_ip_per_hour=100, signup_per_email_per_day=1)
    try:
        victim = "mailbombed@example.com"
        first = signup_browser(app, "198.51.100.20")
        await first.get("/signup")
        assert (await first.post_form("/signup", form(victim))).status_code == 201
        second = signup_browser(app, "198.51.100.21")
        await second.get("/signup")
        refused = await second.post_form("/signup", form(victim.upper()))
        assert refused.status_code == 429 and "该邮箱地址的注册次数过多" in refused.text
    finally:
        app.state.settings = settings


async def test_invalid_sign_ups_are_explained_and_not_counted(app: Litestar) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, signup_per_ip_per_hour=1)
    try:
        client = signup_browser(app, "198.51.100.30")
        await client.get("/signup")
        for _ in range(3):
            bad = await client.post_form("/signup", {**form(), "slug": "-bad-"})
            assert bad.status_code == 422
        assert (await client.post_form("/signup", form())).status_code == 201
    finally:
        app.state.settings = settings


async def test_tenants_never_confirmed_are_purged_after_the_deadline(app: Litestar) -> None:
    engine = app.state.db.engine
    n = next(_serial)
    stale = await sign_up(
        engine,
        SignUp(
            company_name="未确认",
            slug=f"unconfirmed{n}",
            admin_email=f"u{n}@example.com",
            admin_password="correct-horse-9",
        ),
        email_verified=False,
    )
    fresh = await sign_up(
        engine,
        SignUp(
            company_name="刚注册",
            slug=f"fresh{n}",
            admin_email=f"f{n}@example.com",
            admin_password="correct-horse-9",
        ),
        email_verified=False,
    )
    confirmed = await sign_up(
        engine,
        SignUp(
            company_name="已确认",
            slug=f"confirmed{n}",
            admin_email=f"c{n}@example.com",
            admin_password="correct-horse-9",
        ),
    )
    long_ago = datetime.now(UTC) - timedelta(hours=app.state.settings.unverified_tenant_hours + 1)
    async with engine.begin() as conn:
        await conn.execute(
            update(Tenant.__table__)
            .where(Tenant.__table__.c.slug.in_([stale.slug, confirmed.slug]))
            .values(created_at=long_ago)
        )

    report = await lifecycle.purge_unverified(engine, app.state.settings)
    assert stale.slug in report.purged
    assert fresh.slug not in report.purged and confirmed.slug not in report.purged
    async with engine.connect() as conn:
        schemas = set((await conn.execute(text("SELECT nspname FROM pg_namespace"))).scalars())
        statuses = dict((await conn.execute(text("SELECT slug, status FROM public.tenants"))).all())
    assert stale.schema_name not in schemas
    assert fresh.schema_name in schemas and confirmed.schema_name in schemas
    assert statuses[stale.slug] == TenantStatus.PURGED
    # Running it again does nothing more.
    assert (await lifecycle.purge_unverified(engine, app.state.settings)).purged == []
