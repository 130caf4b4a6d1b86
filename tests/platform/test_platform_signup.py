"""A dealer signs up on the base domain and gets a working account, or a clear error and nothing half-made.

周华 runs 华美家电 and signs up at ``localhost``: a registry row, a schema ``t_<slug>`` created at the
head migration, the eight default roles and 周华 as the owner, all or nothing. Bad addresses,
emails and passwords are explained on the form (in Chinese by default) and create nothing.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from crm_testkit import TenantKit, browser, form_errors
from litestar import Litestar
from sqlalchemy import text

from app.domain import ValidationFailed
from app.mail import recorded_mail
from app.models import tenant_metadata
from app.platform import service as platform
from tenancy import registry
from tenancy.migrate import head_revision

PASSWORD = "huamei-2024!"
DEFAULT_ROLES = {"owner", "admin", "manager", "sales", "service", "technician", "marketing", "viewer"}


def zhou_hua(slug: str, **changes: str) -> dict[str, str]:
    """周华's sign-up form, with whatever a test wants to spoil."""
    return {
        "company_name": "华美家电",
        "slug": slug,
        "admin_name": "周华",
        "admin_email": f"zhouhua@{slug or 'x'}.example",
        "admin_password": PASSWORD,
        **changes,
    }


async def footprint(app: Litestar) -> tuple[int, int]:
    """How many tenant rows and tenant schemas exist (what a failed sign-up must not change)."""
    async with app.state.db.engine.connect() as conn:
        rows = await conn.scalar(text("SELECT count(*) FROM public.tenants"))
        schemas = await conn.scalar(text(r"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\_%'"))
    return int(rows or 0), int(schemas or 0)


async def schema_exists(app: Litestar, schema: str) -> bool:
    async with app.state.db.engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema}
        )
    return bool(found)


async def test_dealer_signs_up_confirms_the_email_and_the_owner_logs_in(app: Litestar) -> None:
    """The whole account exists after one form; 周华 logs in once the emailed link is opened."""
    visitor = browser(app, "localhost:8443")
    form = await visitor.get("/signup")
    assert form.status_code == 200
    assert "创建经销商账号" in form.text and ".localhost" in form.text

    done = await visitor.post_form("/signup", zhou_hua("huamei"))

    assert done.status_code == 201, done.text
    # The address is on this page's scheme and port, so it works in the dealer's browser.
    assert "https://huamei.localhost:8443/login" in done.text
    assert "zhouhua@huamei.example" in done.text
    assert PASSWORD not in done.text

    engine = app.state.db.engine
    async with engine.connect() as conn:
        tenant = await registry.get_tenant(conn, "huamei")
        assert tenant is not None
        assert (tenant.name, tenant.status, tenant.schema_name) == ("华美家电", "active", "t_huamei")
        tables = set(
            (
                await conn.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = 't_huamei'")
                )
            ).scalars()
        )
        assert {"users", "roles", "customers", "audit_log", "alembic_version"} <= tables, tables
        version = await conn.scalar(text("SELECT version_num FROM t_huamei.alembic_version"))
        assert version == head_revision("tenant")
        roles = set((await conn.execute(text("SELECT key FROM t_huamei.roles"))).scalars())
        assert roles == DEFAULT_ROLES
        users = (
            await conn.execute(
                text(
                    "SELECT u.email, u.name, r.key FROM t_huamei.users u "
                    "JOIN t_huamei.roles r ON r.id = u.role_id"
                )
            )
        ).all()
        assert [tuple(u) for u in users] == [("zhouhua@huamei.example", "周华", "owner")]

    # Before the email is confirmed the login page is the "confirm your email" page.
    staff = browser(app, "huamei.localhost:8443")
    early = await staff.post_form(
        "/login", {"email": "zhouhua@huamei.example", "password": PASSWORD, "next": "/"}
    )
    assert early.status_code == 303 and early.headers["location"] == "/verify-email/pending"
    assert not staff.cookies.get("dcrm_session")

    mail = (await recorded_mail(engine, to="zhouhua@huamei.example", kind="email_verification"))[0]
    link = re.search(r"https://huamei\.localhost:8443/verify-email\?token=\S+", mail.body)
    assert link, mail.body
    assert (await staff.get(link.group(0))).status_code == 200

    login = await staff.post_form(
        "/login", {"email": "zhouhua@huamei.example", "password": PASSWORD, "next": "/"}
    )
    assert login.status_code == 303, login.text
    assert staff.cookies.get("dcrm_session")


async def test_slug_is_normalised_to_lowercase(app: Litestar) -> None:
    """A dealer who types capitals gets the lowercase address rather than an error."""
    visitor = browser(app, "localhost")
    done = await visitor.post_form("/signup", zhou_hua(" Meidi-Store ", admin_email="boss@meidi.example"))
    assert done.status_code == 201, done.text
    assert "https://meidi-store.localhost/login" in done.text
    assert await schema_exists(app, "t_meidi_store")


MALFORMED = "只能使用小写字母、数字和单个连字符，须以字母开头，且不能以连字符结尾。"


@pytest.mark.parametrize(
    ("changes", "field_value_kept", "message"),
    [
        ({"slug": "www"}, "www", "该地址为保留地址，请换一个。"),
        ({"slug": "admin"}, "admin", "该地址为保留地址，请换一个。"),
        ({"slug": "Acme!"}, "Acme!", MALFORMED),
        ({"slug": "-abc"}, "-abc", MALFORMED),
        ({"slug": "a--b"}, "a--b", MALFORMED),
        ({"slug": "abc-"}, "abc-", MALFORMED),
        ({"slug": "中文"}, "中文", MALFORMED),
        ({"slug": "a" * 31}, "a" * 31, "最多 30 个字符。"),
        ({"slug": "ab"}, "ab", "至少需要 3 个字符。"),
        ({"slug": ""}, "华美家电", "请填写账号地址。"),
        ({"slug": "goodslug", "admin_email": "zhouhua@"}, "zhouhua@", "请输入有效的邮箱地址。"),
        ({"slug": "goodslug", "admin_password": "1234567"}, "goodslug", "至少需要 8 个字符。"),
        ({"slug": "goodslug", "company_name": "  "}, "goodslug", "请填写公司名称。"),
        ({"slug": "goodslug", "company_name": "华" * 101}, "华" * 101, "最多 100 个字符。"),
    ],
    ids=[
        "reserved-www",
        "reserved-admin",
        "malformed-bang",
        "malformed-leading-hyphen",
        "malformed-double-hyphen",
        "malformed-trailing-hyphen",
        "malformed-chinese",
        "too-long",
        "too-short",
        "missing-slug",
        "bad-email",
        "short-password",
        "missing-company",
        "overlong-company",
    ],
)
async def test_bad_sign_up_is_explained_inline_and_creates_nothing(
    app: Litestar, changes: dict[str, str], field_value_kept: str, message: str
) -> None:
    """Each mistake gets its own message next to its field; the input survives, the password does not."""
    before = await footprint(app)
    visitor = browser(app, "localhost")
    form = {**zhou_hua("goodslug"), **changes}

    response = await visitor.post_form("/signup", form)

    assert response.status_code == 422, response.text
    assert message in form_errors(response.text)
    assert "请修改标红的内容。" in response.text
    assert f'value="{field_value_kept}"' in response.text
    if form["admin_password"]:
        assert form["admin_password"] not in response.text
    assert await footprint(app) == before


async def test_an_address_already_in_use_is_refused(app: Litestar, tenant: TenantKit) -> None:
    """A second dealer cannot take an existing dealer's address, whatever the capitalisation."""
    before = await footprint(app)
    visitor = browser(app, "localhost")
    response = await visitor.post_form(
        "/signup", zhou_hua(tenant.slug.upper(), admin_email="other@x.example")
    )
    assert response.status_code == 422
    assert "该地址已被占用。" in form_errors(response.text)
    assert await footprint(app) == before


async def test_errors_are_in_english_for_english_readers(app: Litestar) -> None:
    visitor = browser(app, "localhost")
    response = await visitor.post_form("/signup?lang=en", zhou_hua("www"))
    assert response.status_code == 422
    assert "This address is reserved; please choose another." in form_errors(response.text)
    assert "Create your dealer account" in response.text


async def test_sign_up_without_csrf_token_is_refused(app: Litestar) -> None:
    before = await footprint(app)
    visitor = browser(app, "localhost")
    response = await visitor.post("/signup", data=zhou_hua("nocsrf"))
    assert response.status_code == 403
    assert await footprint(app) == before


@pytest.mark.parametrize(
    ("slug", "code", "text_shown"),
    [
        ("www", "reserved", "该地址为保留地址"),
        ("Acme!", "malformed", "只能使用小写字母"),
        ("b" * 31, "too_long", "最多 30 个字符"),
        ("ab", "too_short", "至少需要 3 个字符"),
        ("fresh-name", "available", "fresh-name.localhost 可以使用"),
        ("", "required", ""),
    ],
)
async def test_live_slug_check_says_why(app: Litestar, slug: str, code: str, text_shown: str) -> None:
    """The HTMX check under the address field answers while the dealer types."""
    visitor = browser(app, "localhost")
    response = await visitor.get("/signup/check-slug", params={"slug": slug}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'data-code="{code}"' in response.text
    assert text_shown in response.text
    assert "<html" not in response.text  # a fragment, not a page


async def test_live_slug_check_sees_taken_addresses(app: Litestar, tenant: TenantKit) -> None:
    visitor = browser(app, "localhost")
    response = await visitor.get("/signup/check-slug", params={"slug": tenant.slug})
    assert 'data-code="taken"' in response.text and "该地址已被占用。" in response.text


async def test_failure_after_the_schema_was_created_leaves_nothing(app: Litestar) -> None:
    """Seeding blows up after the schema and its tables exist: the row and the schema go with it."""
    before = await footprint(app)
    seen_inside: list[bool] = []

    async def failing_seed(conn: Any, schema: str) -> None:
        found = await conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        seen_inside.append(bool(found))
        raise RuntimeError("disk full while seeding")

    with pytest.raises(RuntimeError, match="disk full"):
        await registry.provision_tenant(
            app.state.db.engine,
            slug="halfway",
            name="半途家电",
            admin_email="x@halfway.example",
            metadata=tenant_metadata,
            seed=failing_seed,
        )

    assert seen_inside == [True]  # the failure really came after the schema was made
    assert not await schema_exists(app, "t_halfway")
    async with app.state.db.engine.connect() as conn:
        assert await registry.get_tenant(conn, "halfway") is None
    assert await footprint(app) == before


async def test_failed_sign_up_through_the_form_shows_an_error_page_and_leaves_nothing(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same failure from the browser: a plain error page, no stack trace, no half account."""
    before = await footprint(app)

    async def broken_seed(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("seeding failed")

    monkeypatch.setattr(platform, "seed_tenant", broken_seed)
    visitor = browser(app, "localhost")
    response = await visitor.post_form("/signup", zhou_hua("broken-seed"))

    assert response.status_code == 500
    assert "Traceback" not in response.text and "出错了" in response.text
    assert not await schema_exists(app, "t_broken_seed")
    assert await footprint(app) == before


async def test_two_simultaneous_sign_ups_for_one_address_make_one_tenant(app: Litestar) -> None:
    """Two dealers press the button at the same moment: one wins, the other is told it is taken."""
    before = await footprint(app)
    engine = app.state.db.engine
    first = platform.SignUp(
        company_name="双胞胎家电", slug="twins", admin_email="a@twins.example", admin_password=PASSWORD
    )
    second = platform.SignUp(
        company_name="孪生电器", slug="twins", admin_email="b@twins.example", admin_password=PASSWORD
    )

    results = await asyncio.gather(
        platform.sign_up(engine, first), platform.sign_up(engine, second), return_exceptions=True
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ValidationFailed)
    assert [(e.field, e.code) for e in losers[0].errors] == [("slug", "taken")]
    assert await footprint(app) == (before[0] + 1, before[1] + 1)
    async with engine.connect() as conn:
        tenant = await registry.get_tenant(conn, "twins")
        assert tenant is not None and tenant.name == winners[0].name
        owners = list((await conn.execute(text("SELECT email FROM t_twins.users"))).scalars())
    assert owners == [winners[0].admin_email]


async def test_signup_pages_do_not_exist_on_a_dealers_host(app: Litestar, tenant: TenantKit) -> None:
    """Sign-up belongs to the base domain; a dealer's host answers 404 for it."""
    staff = browser(app, tenant.host)
    assert (await staff.get("/signup")).status_code == 404
    assert (await staff.get("/signup/check-slug", params={"slug": "abc"})).status_code == 404
    before = await footprint(app)
    await staff.get("/login")  # a CSRF cookie for this host
    response = await staff.post_form("/signup", zhou_hua("via-tenant-host"))
    assert response.status_code == 404
    assert await footprint(app) == before


async def test_base_domain_front_page_leads_to_sign_up(app: Litestar) -> None:
    response = await browser(app, "localhost").get("/")
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].endswith("/signup")


async def test_a_sign_up_racing_past_the_slug_check_is_stopped_by_the_unique_row(app: Litestar) -> None:
    """Both sign-ups pass the "is it free?" check before either commits; the database still lets one through.

    Each seed dawdles so the two transactions overlap: the second INSERT waits on the first's
    uncommitted row and then fails on the unique slug, rolling back everything it did.
    """
    before = await footprint(app)
    engine = app.state.db.engine

    async def slow_seed(conn: Any, schema: str) -> None:
        await asyncio.sleep(0.3)

    async def provision(name: str) -> Any:
        return await registry.provision_tenant(
            engine,
            slug="overlap",
            name=name,
            admin_email="x@overlap.example",
            metadata=tenant_metadata,
            seed=slow_seed,
        )

    results = await asyncio.gather(provision("先到家电"), provision("后到家电"), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["Tenant", "TenantExists"], results
    assert await footprint(app) == (before[0] + 1, before[1] + 1)
