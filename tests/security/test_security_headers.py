"""Browser-side defences on every response, the production secret, and who may read /metrics.

Before: no Content-Security-Policy, no frame-ancestors, no nosniff, no Referrer-Policy and no
``Cache-Control: private, no-store`` on pages full of customers' personal data; the development
SECRET_KEY was accepted with ENVIRONMENT=production; /metrics answered on every dealer's host.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from crm_testkit import TenantKit, browser, logged_in
from litestar import Litestar

from app.settings import DEV_SECRET_KEY, Settings, refuse_unsafe_production


async def test_pages_with_personal_data_carry_csp_no_framing_no_sniffing_and_no_store(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    for url in ("/customers", "/login", "/audit"):
        response = await client.get(url)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0], url
        assert "unsafe-eval" not in csp, url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "same-origin", url
        assert headers["cache-control"] == "private, no-store", url
    # Static files may be cached; they hold nothing personal.
    static = await client.get("/static/js/app.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_templates_carry_no_inline_scripts_or_event_handlers() -> None:
    """The CSP forbids inline scripts: a template with one would silently stop working."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        # A data block (type="application/json") is never executed; any other inline script is.
        assert not re.search(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>', text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text and "hx-on" not in text, template


def test_production_refuses_the_development_secret_key_or_a_short_one() -> None:
    base = dataclasses.replace(Settings(), environment="production", password_hash_cost="standard")
    for key in (DEV_SECRET_KEY, "short-secret"):
        with pytest.raises(SystemExit) as stopped:
            refuse_unsafe_production(dataclasses.replace(base, secret_key=key))
        message = str(stopped.value)
        assert "SECRET_KEY" in message and "\n" not in message
    refuse_unsafe_production(dataclasses.replace(base, secret_key="k" * 48))  # a real key starts
    refuse_unsafe_production(dataclasses.replace(base, environment="development", secret_key=DEV_SECRET_KEY))


def test_passwords_are_hashed_at_full_cost_unless_a_test_run_says_otherwise() -> None:
    """The suite hashes with the cheap ``test`` profile (tests/conftest.py); production refuses it,
    and nobody may start on an unknown profile. A hash verifies whichever profile made it."""
    from argon2 import PasswordHasher

    from app.security import _hasher_of

    assert Settings().password_hash_cost == "test"  # this run, by tests/conftest.py
    real = dataclasses.replace(Settings(), environment="production", secret_key="k" * 48)
    refuse_unsafe_production(dataclasses.replace(real, password_hash_cost="standard"))
    for cost in ("test", "none"):
        with pytest.raises(SystemExit) as stopped:
            refuse_unsafe_production(dataclasses.replace(real, password_hash_cost=cost))
        assert "PASSWORD_HASH_COST" in str(stopped.value)
    with pytest.raises(SystemExit):
        refuse_unsafe_production(
            dataclasses.replace(real, environment="development", password_hash_cost="none")
        )
    standard, _ = _hasher_of("standard")
    default = PasswordHasher()
    assert (standard.time_cost, standard.memory_cost) == (default.time_cost, default.memory_cost)
    cheap, _ = _hasher_of("test")
    assert cheap.verify(standard.hash("s3cret-pass"), "s3cret-pass")
    assert standard.verify(cheap.hash("s3cret-pass"), "s3cret-pass")


async def test_metrics_are_not_served_on_a_dealers_host_nor_to_strangers(
    app: Litestar, tenant: TenantKit
) -> None:
    assert (await browser(app, tenant.host).get("/metrics")).status_code == 404
    stranger = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 5000)), base_url="https://localhost"
    )
    assert (await stranger.get("/metrics")).status_code == 404
    # The platform host, from an allowed address (loopback by default): served.
    local = await browser(app, "localhost").get("/metrics")
    assert local.status_code == 200 and "python_info" in local.text


async def test_metrics_token_opens_metrics_from_anywhere_on_the_platform_host(app: Litestar) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, metrics_token="m" * 40)
    try:
        scraper = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 5000)), base_url="https://localhost"
        )
        assert (
            await scraper.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
        ).status_code == 200
        assert (await scraper.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
    finally:
        app.state.settings = settings
