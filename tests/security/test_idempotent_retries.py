"""A retried write creates nothing new: Idempotency-Key on GraphQL mutations, a one-time token on the
customer create form.

The probe killed the server (kill -9) after a commit and before the answer left: the integrator
never saw its row acknowledged, retried, and the customer existed twice. With a key, the key and
the first answer are committed in the same transaction as the write, so a retry either finds both
(and gets the first answer back) or neither (and runs for the first time).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import uuid

from crm_testkit import TenantKit, integrator, logged_in, token_for
from litestar import Litestar
from security_kit import LIST_IDS, operation
from sqlalchemy import func, select, update

from app.customers.models import Customer
from app.idempotency.models import IdempotencyKey

CREATE = operation("CreateCustomer")


def _create(name: str, mobile: str | None = None) -> dict:
    """A createCustomer request; each gets a mobile of its own, so the duplicate control (撞单)
    has nothing to say about requests that differ only in their idempotency key."""
    mobile = mobile or f"139{secrets.randbelow(10**8):08d}"
    return {"query": CREATE, "variables": {"input": {"name": name, "mobile": mobile}}}


async def _customers(app: Litestar, kit: TenantKit) -> list[str]:
    async with app.state.db.tenant_session(kit.schema) as session:
        return list((await session.scalars(select(Customer.name).order_by(Customer.name))).all())


async def test_a_retried_mutation_with_the_same_key_returns_the_first_result_and_creates_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    """Same key, same request: the first answer again (marked as a replay), one customer."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    request = _create("重试客户")
    first = await client.post("/graphql", json=request, headers=key)
    assert first.status_code == 200, first.text
    created = first.json()["data"]["createCustomer"]
    assert created["__typename"] == "CustomerPayload"
    retry = await client.post("/graphql", json=request, headers=key)
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await _customers(app, tenant) == ["重试客户"]
    # Without a key every request is a new one (the behaviour integrators had before).
    await client.post("/graphql", json=_create("重试客户"))
    assert await _customers(app, tenant) == ["重试客户", "重试客户"]


async def test_the_key_and_the_answer_are_committed_with_the_write(app: Litestar, tenant: TenantKit) -> None:
    """After the answer, the key row holds the answer naming the customer that exists: one transaction."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    key = str(uuid.uuid4())
    first = await client.post("/graphql", json=_create("同一事务"), headers={"Idempotency-Key": key})
    customer_id = first.json()["data"]["createCustomer"]["customer"]["id"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        row = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
        assert row is not None and row.actor_id == tenant.people["sales_a"]
        assert json.loads(row.response["body"])["data"]["createCustomer"]["customer"]["id"] == customer_id
        assert await session.get(Customer, uuid.UUID(customer_id)) is not None


async def test_the_same_key_with_a_different_request_is_refused(app: Litestar, tenant: TenantKit) -> None:
    """A key reused for another customer: 422 IDEMPOTENCY_KEY_REUSED, and nothing is created."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    key = {"Idempotency-Key": "order-2026-0001"}
    assert (await client.post("/graphql", json=_create("第一个"), headers=key)).status_code == 200
    other = await client.post("/graphql", json=_create("第二个"), headers=key)
    assert other.status_code == 422, other.text
    error = other.json()["errors"][0]
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED" and "different request" in error["message"]
    assert await _customers(app, tenant) == ["第一个"]


async def test_keys_are_per_actor_and_expire_after_a_day(app: Litestar, tenant: TenantKit) -> None:
    """Another person's identical key is theirs alone; an expired key runs the request again."""
    key = {"Idempotency-Key": "same-key"}
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    wang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a2"))
    zhangs = _create("张的客户")
    await zhang.post("/graphql", json=zhangs, headers=key)
    await wang.post("/graphql", json=_create("张的客户"), headers=key)
    assert await _customers(app, tenant) == ["张的客户", "张的客户"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        expires = await session.scalar(
            select(func.min(IdempotencyKey.expires_at - IdempotencyKey.created_at))
        )
        assert expires is not None and round(expires.total_seconds() / 3600) == 24
        await session.execute(
            update(IdempotencyKey).values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 1))
        )
        await session.commit()
    again = await zhang.post("/graphql", json=_create("张的客户"), headers=key)
    assert "Idempotent-Replayed" not in again.headers
    assert len(await _customers(app, tenant)) == 3
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Expired keys are cleaned up as new ones are claimed: only the fresh one is left.
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


async def test_concurrent_retries_with_one_key_create_one_customer(app: Litestar, tenant: TenantKit) -> None:
    """Five copies of one request sent at once: one customer, five identical answers."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    request = _create("并发客户")
    answers = await asyncio.gather(*(client.post("/graphql", json=request, headers=key) for _ in range(5)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert await _customers(app, tenant) == ["并发客户"]


async def test_a_refused_request_frees_its_key(app: Litestar, tenant: TenantKit) -> None:
    """A request that fails before running (a variable of the wrong type) keeps no answer: the
    corrected retry with the same key is not answered with the old error."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    broken = {"query": CREATE, "variables": {"input": {"name": 42}}}
    bad = await client.post("/graphql", json=broken, headers=key)
    assert bad.json()["errors"]
    listed = await client.post("/graphql", json={"query": LIST_IDS, "variables": {"first": 5}})
    assert listed.json()["data"]["customers"]["totalCount"] == 0
    fixed = await client.post(
        "/graphql", json=broken | {"variables": {"input": {"name": "改好了"}}}, headers=key
    )
    # A different request under the same key: it never ran, so it is not "reused" either.
    assert fixed.json()["data"]["createCustomer"]["__typename"] == "CustomerPayload", fixed.text
    assert await _customers(app, tenant) == ["改好了"]


async def test_a_resubmitted_create_form_lands_on_the_first_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    """The customer form carries a one-time token: posting it twice redirects both times to one customer."""
    browser = await logged_in(app, tenant, "sales_a")
    page = await browser.get("/customers/new")
    assert page.status_code == 200
    token = re.search(r'name="_once" value="([0-9a-f]{32})"', page.text)
    assert token, "the create form has no one-time token"
    form = {
        "name": "表单客户",
        "kind": "individual",
        "status": "interested",
        "mobile": "13912345678",
        "_once": token.group(1),
    }
    first = await browser.post_form("/customers", form)
    assert first.status_code == 303, re.findall(r"class=\"(?:alert|message)[^>]*>([^<]+)<", first.text)
    again = await browser.post_form("/customers", form)
    assert first.status_code == again.status_code == 303, (first.text, again.text)
    assert first.headers["location"] == again.headers["location"]
    assert await _customers(app, tenant) == ["表单客户"]
    # A fresh form is a new customer.
    fresh = re.search(r'name="_once" value="([0-9a-f]{32})"', (await browser.get("/customers/new")).text)
    assert fresh and fresh.group(1) != token.group(1)


async def test_a_form_refused_for_bad_input_can_be_corrected_and_saved_with_its_token(
    app: Litestar, tenant: TenantKit
) -> None:
    """Validation errors keep the token in the re-rendered form, and the corrected form saves once."""
    browser = await logged_in(app, tenant, "sales_a")
    token = re.search(r'name="_once" value="([0-9a-f]{32})"', (await browser.get("/customers/new")).text)
    assert token
    form = {
        "name": "改正客户",
        "kind": "individual",
        "status": "interested",
        "mobile": "123",
        "_once": token.group(1),
    }
    refused = await browser.post_form("/customers", form)
    assert refused.status_code == 422
    assert f'name="_once" value="{token.group(1)}"' in refused.text
    saved = await browser.post_form("/customers", form | {"mobile": "13912345678"})
    assert saved.status_code == 303
    assert await _customers(app, tenant) == ["改正客户"]
