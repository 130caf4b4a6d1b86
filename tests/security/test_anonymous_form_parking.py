"""Parking a form in Redis is for a user whose session ran out mid-form, nobody else.

An unauthenticated POST with a 5 MB field used to be stored for 30 minutes (anyone could fill
Redis). Now only a request whose session cookie no longer resolves parks its form, at most 64 KB
(over that nothing is parked: a form is never kept cut short), and one address parks a bounded
number of forms per window.
"""

from __future__ import annotations

import httpx
from crm_testkit import PASSWORD, Browser, TenantKit, browser
from litestar import Litestar

from app.http import form_stash


async def parked_keys(app: Litestar) -> int:
    return len([key async for key in app.state.redis.scan_iter(match="formstash:*")])


async def expired_session_from(app: Litestar, tenant: TenantKit, ip: str) -> Browser:
    """张伟 logged in from ``ip``; his session then ended elsewhere (the cookie stays)."""
    client = Browser(
        transport=httpx.ASGITransport(app=app, client=(ip, 5000)),
        base_url=f"https://{tenant.host}",
        follow_redirects=False,
    )
    assert (
        await client.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    ).status_code == 303
    other = browser(app, tenant.host)
    other.cookies.set("dcrm_session", client.cookies.get("dcrm_session"), domain=tenant.host)
    assert (await other.post_form("/logout", {})).status_code == 303
    return client


async def test_anonymous_post_with_a_five_megabyte_field_is_not_parked(
    app: Litestar, tenant: TenantKit
) -> None:
    before = await parked_keys(app)
    client = browser(app, tenant.host)  # never logged in: no session cookie at all
    response = await client.post_form("/customers/", {"name": "张三", "notes": "x" * (5 * 1024 * 1024)})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert "resume=" not in response.headers["location"]
    assert await parked_keys(app) == before


async def test_small_anonymous_post_is_not_parked_either(app: Litestar, tenant: TenantKit) -> None:
    before = await parked_keys(app)
    response = await browser(app, tenant.host).post_form("/customers/", {"name": "张三"})
    assert response.status_code == 303 and "resume=" not in response.headers["location"]
    assert await parked_keys(app) == before


async def test_expired_session_form_over_the_cap_is_not_parked(app: Litestar, tenant: TenantKit) -> None:
    client = await expired_session_from(app, tenant, "10.66.0.1")
    before = await parked_keys(app)
    big = await client.post_form(
        "/customers/", {"name": "张三", "notes": "备" * (form_stash.STASH_MAX_BYTES // 2)}
    )
    assert big.status_code == 303 and "resume=" not in big.headers["location"]
    assert await parked_keys(app) == before
    # A form of ordinary size from the same expired session is still kept.
    small = await client.post_form("/customers/", {"name": "张三", "notes": "周六上午在家"})
    assert "resume=" in small.headers["location"]


async def test_parking_is_limited_per_address(app: Litestar, tenant: TenantKit) -> None:
    client = await expired_session_from(app, tenant, "10.66.0.2")
    results = []
    for _ in range(form_stash.STASH_PER_IP + 5):
        response = await client.post_form("/customers/", {"name": "张三"})
        assert response.status_code == 303
        results.append("resume=" in response.headers["location"])
    assert results[: form_stash.STASH_PER_IP] == [True] * form_stash.STASH_PER_IP
    assert not any(results[form_stash.STASH_PER_IP :])
    # Another address is not affected.
    elsewhere = await expired_session_from(app, tenant, "10.66.0.3")
    assert "resume=" in (await elsewhere.post_form("/customers/", {"name": "张三"})).headers["location"]
