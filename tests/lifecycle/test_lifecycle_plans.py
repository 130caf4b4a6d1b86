"""Trial and plans: quotas on users, customers and API calls per day, enforced with clear messages;
plan changes by an operator (refused below current usage, naming the resource and the numbers);
a trial that ends suspends the dealer until a plan is chosen.

Every test dealer starts on the 14-day trial: 20 staff accounts, 5,000 customers, 1 GB, 10,000
API calls a day. The cast (王建国 the owner and ten colleagues) holds 11 staff accounts, one more
than the Basic plan allows.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crm_testkit import TenantKit, actor, browser, integrator, logged_in, token_for
from lifecycle_kit import audit_entries, console_for, new_operator
from litestar import Litestar
from sqlalchemy import text

from app.accounts import service as accounts
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.domain import QuotaExceeded
from app.platform import lifecycle, quotas, usage
from app.platform.audit import PlatformActor
from app.platform.plans import PLAN_SETTING
from tenancy import registry

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")
CREATE = "mutation($name: String!) { createCustomer(input: {name: $name}) { __typename ... on ValidationError { message fields { path code message } } } }"  # noqa: E501


async def fill_customers(app: Litestar, kit: TenantKit, count: int) -> None:
    """``count`` customers straight into the table (what an import would leave), owned by 张伟."""
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {kit.schema}.customers "
                "(name, kind, status, owner_id, search_grams, search_text, version) "
                "SELECT '批量客户' || g, 'individual', 'lead', :owner, '{}', '', 1 "
                "FROM generate_series(1, :n) g"
            ),
            {"owner": kit.people["sales_a"], "n": count},
        )


async def live_customers(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.engine.connect() as conn:
        return int(
            await conn.scalar(text(f"SELECT count(*) FROM {kit.schema}.customers WHERE deleted_at IS NULL"))
        )


async def mirrored_limits(app: Litestar, kit: TenantKit) -> dict[str, object]:
    async with app.state.db.engine.connect() as conn:
        return await conn.scalar(
            text(f"SELECT value FROM {kit.schema}.tenant_settings WHERE key = :k"), {"k": PLAN_SETTING}
        )


async def dealercrm(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=180
    )


# -- customers ------------------------------------------------------------------------------------


async def test_a_customer_beyond_the_plan_is_refused_in_the_admin_form(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 adds customer 5,001 on a trial: the form says why, in Chinese, with the numbers; nothing saved."""
    await fill_customers(app, tenant, 5000)
    zhang_wei = await logged_in(app, tenant, "sales_a")

    response = await zhang_wei.post_form(
        "/customers", {"name": "赵敏", "kind": "individual", "status": "lead", "mobile": "13800138001"}
    )

    assert response.status_code == 422
    assert 'id="quota-error"' in response.text
    assert "您的套餐（试用）最多允许 5,000 个客户，目前已使用 5,000" in response.text
    assert 'value="赵敏"' in response.text  # the input is kept for later
    assert await live_customers(app, tenant) == 5000


async def test_a_customer_beyond_the_plan_is_a_typed_error_in_graphql(
    app: Litestar, tenant: TenantKit
) -> None:
    await fill_customers(app, tenant, 5000)
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))

    result = await erp.gql(CREATE, {"name": "钱伟"})

    payload = result["data"]["createCustomer"]
    assert payload["__typename"] == "ValidationError"
    [field] = payload["fields"]
    assert field["code"] == "quota_exceeded" and field["path"] == ["input"]
    assert "5,000 customers" in payload["message"] and "5,000 are in use" in payload["message"]
    assert await live_customers(app, tenant) == 5000


async def test_the_recycle_bin_frees_a_place_and_a_full_plan_refuses_a_restore(
    app: Litestar, tenant: TenantKit
) -> None:
    await fill_customers(app, tenant, 4999)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        last = await customers.create_customer(
            session, owner, CustomerInput(name="孙丽", mobile="13800138005")
        )
        await customers.delete_customer(session, owner, last.id)
        # The binned customer no longer counts: there is room for one more.
        await customers.create_customer(session, owner, CustomerInput(name="周杰", mobile="13800138006"))
        with pytest.raises(QuotaExceeded) as refused:
            await customers.restore_customer(session, owner, last.id)
    assert (refused.value.resource, refused.value.used, refused.value.limit) == ("customers", 5000, 5000)
    assert await live_customers(app, tenant) == 5000


async def test_two_racing_requests_for_the_last_place_get_one_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    """Close to the limit adds are serialised per tenant: the last place goes to exactly one of them."""
    await fill_customers(app, tenant, 4999)
    owner = await actor(app, tenant, "owner")

    async def add(name: str) -> object:
        async with app.state.db.tenant_session(tenant.schema) as session:
            return await customers.create_customer(session, owner, CustomerInput(name=name))

    results = await asyncio.gather(add("先到"), add("后到"), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["Customer", "QuotaExceeded"], results
    assert await live_customers(app, tenant) == 5000


# -- staff accounts -------------------------------------------------------------------------------


async def test_staff_accounts_stop_at_the_plan_limit(app: Litestar, tenant: TenantKit) -> None:
    """Eleven people work there; nine more fit the trial, the twenty-first does not (nor a reactivation)."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        for n in range(9):
            await accounts.create_user(
                session,
                email=f"temp{n}@{tenant.slug}.example",
                name=f"临时{n}",
                password="x" * 10,
                role_key="viewer",
            )
        await session.commit()
        with pytest.raises(QuotaExceeded) as refused:
            await accounts.create_user(
                session,
                email=f"extra@{tenant.slug}.example",
                name="多余",
                password="x" * 10,
                role_key="viewer",
            )
        assert "最多允许 20 个员工账号，目前已使用 20" in refused.value.errors[0].message
        await session.rollback()
        li_jing = await actor(app, tenant, "admin")
        await accounts.set_active(session, li_jing, tenant.people["viewer"], False)
        await accounts.create_user(
            session, email=f"extra@{tenant.slug}.example", name="多余", password="x" * 10, role_key="viewer"
        )
        await session.commit()
        with pytest.raises(QuotaExceeded):
            await accounts.set_active(session, li_jing, tenant.people["viewer"], True)


# -- file storage ---------------------------------------------------------------------------------


def sparse_file(app: Litestar, kit: TenantKit, megabytes: int) -> Path:
    """A file of ``megabytes`` under the tenant's FILES_DIR folder that takes no disk space (sparse)."""
    folder = app.state.settings.files_dir / kit.schema / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "big.xlsx"
    with path.open("wb") as fh:
        fh.truncate(megabytes * 1024 * 1024)
    return path


async def test_files_count_against_the_storage_quota(app: Litestar, tenant: TenantKit) -> None:
    """The tenant's files (a directory walk of FILES_DIR/<schema>) are measured for the console and
    a write that would pass the plan's storage is refused."""
    sparse_file(app, tenant, 1000)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await quotas.ensure_storage_room(
            session, app.state.settings.files_dir, tenant.schema, 20 * 1024 * 1024
        )
        with pytest.raises(QuotaExceeded) as refused:
            await quotas.ensure_storage_room(
                session, app.state.settings.files_dir, tenant.schema, 30 * 1024 * 1024
            )
    assert (refused.value.resource, refused.value.limit, refused.value.used) == ("storage_mb", 1024, 1000)
    await usage.refresh_usage(
        app.state.db.engine, app.state.redis, app.state.settings.files_dir, [tenant.slug]
    )
    row = await usage.console_row(app.state.db.engine, tenant.slug)
    assert row is not None and row.usage is not None and row.usage.storage_bytes == 1000 * 1024 * 1024


# -- plan changes ---------------------------------------------------------------------------------


async def test_a_downgrade_below_usage_is_refused_in_the_console_naming_the_numbers(
    app: Litestar, tenant: TenantKit
) -> None:
    lin_tao = await new_operator(app)
    console = await console_for(app, lin_tao)
    before = await mirrored_limits(app, tenant)

    response = await console.post_form(f"/operator/tenants/{tenant.slug}/plan", {"plan": "basic"})

    assert response.status_code == 409
    assert "无法变更为基础版：个员工账号：已使用 11，基础版上限 10" in response.text
    async with app.state.db.engine.connect() as conn:
        unchanged = await registry.get_tenant(conn, tenant.slug)
    assert unchanged is not None and unchanged.plan == "trial"
    assert await mirrored_limits(app, tenant) == before
    [refusal] = await audit_entries(app, tenant.slug, "plan_change_refused")
    assert refusal["operator_email"] == lin_tao
    assert refusal["details"] == {"to": "basic", "over": [{"resource": "users", "used": 11, "limit": 10}]}


async def test_a_downgrade_below_usage_is_refused_on_the_command_line(
    app: Litestar, tenant: TenantKit
) -> None:
    result = await dealercrm("tenant", "plan", tenant.slug, "basic")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {tenant.slug} cannot move to basic: users: 11 in use, basic allows 10" in result.stderr
    unknown = await dealercrm("tenant", "plan", tenant.slug, "platinum")
    assert (
        unknown.returncode == 1
        and "no plan 'platinum'; choose one of: trial, basic, pro, enterprise" in unknown.stderr
    )


async def test_an_upgrade_moves_the_limits_into_the_tenant_and_the_refused_customer_fits(
    app: Litestar, tenant: TenantKit
) -> None:
    await fill_customers(app, tenant, 5000)
    zhang_wei = await logged_in(app, tenant, "sales_a")
    assert (
        await zhang_wei.post_form("/customers", {"name": "赵敏", "kind": "individual", "status": "lead"})
    ).status_code == 422

    result = await dealercrm("tenant", "plan", tenant.slug, "pro")

    assert result.returncode == 0, result.stderr
    assert f"{tenant.slug}: plan pro; status active" in result.stdout
    limits = await mirrored_limits(app, tenant)
    assert (limits["plan"], limits["max_customers"], limits["max_users"], limits["trial_ends_at"]) == (
        "pro",
        100000,
        50,
        None,
    )
    assert (
        await zhang_wei.post_form("/customers", {"name": "赵敏", "kind": "individual", "status": "lead"})
    ).status_code == 303
    [change] = await audit_entries(app, tenant.slug, "plan_change")
    assert change["operator_email"].startswith("cli:") and change["details"]["from"] == "trial"


async def test_a_downgrade_names_every_resource_over_the_new_limit(app: Litestar, tenant: TenantKit) -> None:
    await lifecycle.change_plan(
        app.state.db.engine, app.state.settings, tenant.slug, "pro", PlatformActor.system()
    )
    sparse_file(app, tenant, 6000)

    with pytest.raises(lifecycle.PlanChangeRefused) as refused:
        await lifecycle.change_plan(
            app.state.db.engine, app.state.settings, tenant.slug, "basic", PlatformActor.system()
        )

    assert [(o.resource, o.used, o.limit) for o in refused.value.over] == [
        ("users", 11, 10),
        ("storage_mb", 6000, 5120),
    ]
    assert "storage_mb: 6,000 in use, basic allows 5,120" in refused.value.message


async def test_an_unknown_plan_is_refused_in_the_console(app: Litestar, tenant: TenantKit) -> None:
    console = await console_for(app, await new_operator(app))
    response = await console.post_form(f"/operator/tenants/{tenant.slug}/plan", {"plan": "platinum"})
    assert response.status_code == 422 and "请选择一个套餐。" in response.text


# -- trial expiry ---------------------------------------------------------------------------------


async def test_an_ended_trial_refuses_the_dealer_until_an_operator_chooses_a_plan(
    app: Litestar, tenant: TenantKit
) -> None:
    """The host refuses at once when the trial ends; the cron job then suspends the tenant (audited);
    moving to a plan lifts the suspension with the same sessions and tokens working again."""
    zhang_wei = await logged_in(app, tenant, "sales_a")
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    async with app.state.db.engine.begin() as conn:
        await registry.update_tenant(
            conn, tenant.slug, trial_ends_at=datetime.now(UTC) - timedelta(minutes=1)
        )

    page = await zhang_wei.get("/customers")
    assert page.status_code == 403 and "试用已结束" in page.text
    api = await erp.post("/graphql", json={"query": "{ viewer { email } }"})
    assert api.status_code == 403 and api.json()["errors"][0]["extensions"]["code"] == "TENANT_TRIAL_EXPIRED"

    expired = await lifecycle.expire_trials(app.state.db.engine)

    assert tenant.slug in expired
    async with app.state.db.engine.connect() as conn:
        suspended = await registry.get_tenant(conn, tenant.slug)
    assert suspended is not None and (suspended.status, suspended.suspended_reason) == (
        "suspended",
        "trial_expired",
    )
    [entry] = await audit_entries(app, tenant.slug, "trial_expired")
    assert entry["operator_email"] == "system"
    assert tenant.slug not in await lifecycle.expire_trials(app.state.db.engine)  # once

    lin_tao = await new_operator(app)
    await lifecycle.change_plan(
        app.state.db.engine, app.state.settings, tenant.slug, "pro", PlatformActor(None, lin_tao)
    )

    assert (await zhang_wei.get("/customers")).status_code == 200
    assert (await erp.gql("{ viewer { email } }"))["data"]["viewer"]["email"] == tenant.email("sales_a")


# -- API calls per day ----------------------------------------------------------------------------


async def test_api_calls_are_counted_per_tenant_and_day(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    for _ in range(3):
        assert (await erp.gql("{ viewer { email } }"))["data"]["viewer"]
    # Browser sessions are not API calls.
    staff = await logged_in(app, tenant, "sales_a")
    await staff.gql("{ viewer { email } }")

    counts = await quotas.api_calls_today(app.state.redis, [tenant.slug, other_tenant.slug])
    assert counts == {tenant.slug: 3, other_tenant.slug: 0}
    await usage.refresh_usage(
        app.state.db.engine, app.state.redis, app.state.settings.files_dir, [tenant.slug]
    )
    row = await usage.console_row(app.state.db.engine, tenant.slug)
    assert row is not None and row.usage is not None and row.usage.api_calls_today == 3


async def test_over_the_daily_api_quota_is_429_with_retry_after(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    neighbour = integrator(app, other_tenant.host, await token_for(app, other_tenant, "sales_a"))
    await app.state.redis.set(quotas.api_calls_key(tenant.slug), 10_000, ex=3600)

    response = await erp.post("/graphql", json={"query": "{ viewer { email } }"})

    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 86_400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "API_QUOTA_EXCEEDED", "limit": 10000, "retryAfter": retry_after}
    assert "10,000 API calls per day" in error["message"] and "midnight China time" in error["message"]
    # The refused call is not counted; the staff's browser and the other dealer are not affected.
    assert int(await app.state.redis.get(quotas.api_calls_key(tenant.slug))) == 10_000
    staff = await logged_in(app, tenant, "sales_a")
    assert (await staff.gql("{ viewer { email } }"))["data"]["viewer"]
    assert (await neighbour.gql("{ viewer { email } }"))["data"]["viewer"]


async def test_an_unlimited_plan_has_no_api_quota(app: Litestar, tenant: TenantKit) -> None:
    await lifecycle.change_plan(
        app.state.db.engine, app.state.settings, tenant.slug, "enterprise", PlatformActor.system()
    )
    await app.state.redis.set(quotas.api_calls_key(tenant.slug), 10_000_000, ex=3600)
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    assert (await erp.gql("{ viewer { email } }"))["data"]["viewer"]


def test_the_quota_day_turns_at_midnight_in_china() -> None:
    just_before = datetime(2026, 11, 23, 15, 59, 30, tzinfo=UTC)  # 23:59:30 in Shanghai
    assert quotas.quota_day(just_before) == "20261123"
    assert quotas.seconds_until_reset(just_before) == 30
    assert quotas.quota_day(just_before + timedelta(minutes=1)) == "20261124"


async def test_an_anonymous_browser_is_not_an_api_call(app: Litestar, tenant: TenantKit) -> None:
    await browser(app, tenant.host).get("/login")
    assert (await quotas.api_calls_today(app.state.redis, [tenant.slug]))[tenant.slug] == 0
