"""``seed_demo``: the demo dealer 惠民家电城 with its named staff, an operator and realistic customers.

The seed is what a first-time user sees after command 1, so these tests pin that the data is real
enough to demo (Chinese names, valid mobiles, real places, tags, several roles), that search finds
seeded customers exactly as it finds typed-in ones, and that running it again changes nothing.
Only this module uses the ``demo`` slug; its tests run in order on one seeded tenant.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import phonenumbers
import pytest
from litestar import Litestar
from sqlalchemy import func, select, text

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.accounts.models import Role, Team, User
from app.customers import service as customers
from app.customers.models import Customer, CustomerTag, Tag
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.demo import seed
from app.demo.generator import DEMO_PASSWORD, SOURCES, STAFF, STATUSES, TAG_NAMES, TIERS
from app.domain import Actor
from app.platform.models import PlatformOperator
from app.platform.service import operator_login
from app.reference import divisions
from app.security import verify_password
from tenancy import registry
from tenancy.naming import schema_for

SCHEMA = schema_for(seed.DEMO_SLUG)
SEEDED = 300
# The demo's web-form leads: two of them are converted into customers, on top of the seeded book.
CONVERTED = 2
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@pytest.fixture(scope="module")
async def first_run(app: Litestar) -> list[str]:
    """Seed 300 customers once for the module; the progress lines it printed."""
    lines: list[str] = []
    await seed.seed_demo(app.state.db, customers=SEEDED, echo=lines.append)
    return lines


@pytest.fixture
async def session(app: Litestar, first_run: list[str]) -> AsyncIterator[Any]:
    async with app.state.db.tenant_session(SCHEMA) as s:
        yield s


async def _actor(app: Litestar, email: str) -> Actor:
    async with app.state.db.tenant_session(SCHEMA) as s:
        user = await accounts_repo.user_by_email(s, email)
        assert user is not None, email
        return accounts.actor_for(user, ip="127.0.0.1", request_id="test-demo-seed")


async def _counts(app: Litestar) -> dict[str, int]:
    async with app.state.db.engine.connect() as conn:
        found = {}
        for table in ("customers", "customer_tags", "tags", "users", "teams", "roles", "audit_log"):
            found[table] = int(await conn.scalar(text(f"SELECT count(*) FROM {SCHEMA}.{table}")) or 0)
        found["customer_audit"] = int(
            await conn.scalar(text(f"SELECT count(*) FROM {SCHEMA}.audit_log WHERE entity = 'customer'")) or 0
        )
        found["tenants"] = int(
            await conn.scalar(text("SELECT count(*) FROM public.tenants WHERE slug = 'demo'"))
        )
        found["operators"] = int(await conn.scalar(text("SELECT count(*) FROM public.platform_operators")))
    return found


async def test_the_demo_dealer_is_signed_up_with_wang_jianguo_as_owner(
    app: Litestar, first_run: list[str]
) -> None:
    async with app.state.db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, "demo")
    assert tenant is not None and tenant.name == "惠民家电城（演示）" and tenant.schema_name == SCHEMA
    assert tenant.admin_email == "owner@demo.example"
    async with app.state.db.tenant_session(SCHEMA) as s:
        owner = await accounts_repo.user_by_email(s, "owner@demo.example")
        assert owner is not None and owner.name == "王建国" and owner.role.key == "owner"
        assert verify_password(owner.password_hash, DEMO_PASSWORD)
    assert any("tenant created" in line for line in first_run)
    assert first_run[-1].startswith(f"demo: {SEEDED} customers ({SEEDED} added")


async def test_every_staff_member_is_hired_in_their_role_and_team(session: Any) -> None:
    rows = (
        await session.execute(
            select(User.email, User.name, Role.key, Team.name, User.password_hash)
            .join(Role, Role.id == User.role_id)
            .outerjoin(Team, Team.id == User.team_id)
        )
    ).all()
    hired = {email: (name, role, team) for email, name, role, team, _ in rows}
    assert hired == {m["email"]: (m["name"], m["role"], m["team"]) for m in STAFF}
    assert {role for _, role, _ in hired.values()} == {
        "owner",
        "admin",
        "manager",
        "sales",
        "service",
        "technician",
        "marketing",
        "viewer",
    }
    # Everyone logs in with the documented demo password.
    assert all(verify_password(password_hash, DEMO_PASSWORD) for *_, password_hash in rows)


async def test_the_platform_operator_can_log_in(app: Litestar, first_run: list[str]) -> None:
    async with app.state.db.platform_session() as s:
        token = await operator_login(s, email="operator@dealercrm.example", password="operator12345")
    assert token


async def test_customers_look_like_a_real_dealers_book(session: Any) -> None:
    everyone = (await session.scalars(select(Customer))).all()
    assert len(everyone) == SEEDED + CONVERTED
    converted = set(
        (
            await session.execute(text(f"SELECT customer_id FROM {SCHEMA}.leads WHERE status = 'converted'"))
        ).scalars()
    )
    assert len(converted) == CONVERTED
    # The seeded book (the converted leads are what the web form collected: a name and a mobile).
    rows = [c for c in everyone if c.id not in converted]
    pooled = set((await session.execute(text(f"SELECT customer_id FROM {SCHEMA}.pool_entries"))).scalars())
    assert 3 <= len(pooled) <= 15
    individuals = [c for c in rows if c.kind == "individual"]
    companies = [c for c in rows if c.kind == "company"]
    assert len(individuals) > 200 and companies
    assert all(CHINESE_NAME.match(c.name) for c in individuals), [c.name for c in individuals][:10]
    assert all(c.name.endswith("有限公司") for c in companies)
    for c in rows:
        number = phonenumbers.parse(c.mobile, "CN")
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, c.mobile
        assert divisions.is_valid(c.province, c.city, c.district), (c.province, c.city, c.district)
        assert c.status in STATUSES and c.tier in TIERS and c.source in SOURCES
        # Untouched since the seed wrote them, but for the few it then released to the shared pool.
        assert c.version == (2 if c.id in pooled else 1) and c.deleted_at is None
        assert (c.updated_at == c.created_at) == (c.id not in pooled)
    assert len({c.mobile for c in everyone}) == SEEDED + CONVERTED
    assert sum(c.address_detail is not None for c in rows) > 0.85 * SEEDED
    # A Hangzhou shop: most customers live in the city, a few come from far away.
    located = [c for c in rows if c.province]
    assert sum(c.city == "杭州市" for c in located) > 0.6 * len(located)
    assert len({c.province for c in located}) > 5
    assert len({c.status for c in rows}) == len(STATUSES)


async def test_customers_carry_tags_from_the_dealers_tag_list(session: Any) -> None:
    tagged = (
        await session.execute(
            select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
        )
    ).all()
    assert {name for _, name in tagged} == set(TAG_NAMES)
    per_customer = Counter(customer_id for customer_id, _ in tagged)
    assert 0.5 * SEEDED < len(per_customer) < 0.8 * SEEDED
    assert max(per_customer.values()) <= 3


async def test_salespeople_own_most_customers_and_a_few_are_unassigned(session: Any) -> None:
    owners = Counter(
        (
            await session.execute(
                select(Role.key)
                .select_from(Customer)
                .outerjoin(User, User.id == Customer.owner_id)
                .outerjoin(Role, Role.id == User.role_id)
            )
        ).scalars()
    )
    assert set(owners) == {"sales", "manager", None}
    assert owners["sales"] > 0.7 * SEEDED
    assert 0 < owners[None] < 0.1 * SEEDED


async def test_search_text_and_grams_are_what_the_service_writes(session: Any) -> None:
    tags = await customers.tag_names(session, list((await session.scalars(select(Customer.id))).all()))
    for row in (await session.scalars(select(Customer))).all():
        # The service's own indexing of an identical, unsaved customer.
        twin = Customer(
            **{
                k: getattr(row, k)
                for k in ("name", "mobile", "email", "province", "city", "district", "address_detail")
            }
        )
        customers.index_customer(twin, tags[row.id])
        assert (row.search_text, sorted(row.search_grams)) == (twin.search_text, twin.search_grams), row.name


async def test_two_chinese_characters_of_a_name_find_the_customer(app: Litestar, session: Any) -> None:
    target = (
        await session.scalars(
            select(Customer)
            .where(Customer.kind == "individual", func.char_length(Customer.name) == 3)
            .limit(1)
        )
    ).one()
    given_name = target.name[1:]
    owner = await _actor(app, "owner@demo.example")
    found: list[uuid.UUID] = []
    after = None
    while True:
        page = await customers.list_customers(
            session, owner, CustomerFilter(search=given_name), first=100, after=after
        )
        found += [c.id for c in page.items]
        assert all(given_name in c.name or given_name in c.search_text for c in page.items)
        if not page.has_next:
            break
        after = page.end_cursor
    assert target.id in found
    assert page.total == len(found)


async def test_a_salesperson_finds_only_their_own_seeded_customers(app: Litestar, session: Any) -> None:
    zhang_wei = await _actor(app, "sales1@demo.example")
    mine = (await session.scalars(select(Customer).where(Customer.owner_id == zhang_wei.user_id))).all()
    assert mine, "张伟 owns some customers"
    target = mine[0]
    page = await customers.list_customers(
        session, zhang_wei, CustomerFilter(search=target.mobile[3:9]), first=100
    )
    assert [c.id for c in page.items] == [target.id]
    someone_elses = (
        await session.scalars(select(Customer).where(Customer.owner_id != zhang_wei.user_id).limit(1))
    ).one()
    page = await customers.list_customers(
        session, zhang_wei, CustomerFilter(search=someone_elses.mobile), first=10
    )
    assert page.items == [] and page.total == 0


async def test_a_second_run_adds_nothing(app: Litestar, first_run: list[str]) -> None:
    before = await _counts(app)
    lines: list[str] = []
    await seed.seed_demo(app.state.db, customers=SEEDED, echo=lines.append)
    assert await _counts(app) == before
    assert f"customers: {SEEDED + CONVERTED} present, none to add" in lines
    assert "demo: all 14 staff present" in lines


async def test_asking_for_fewer_customers_deletes_none(app: Litestar, first_run: list[str]) -> None:
    before = await _counts(app)
    await seed.seed_demo(app.state.db, customers=10, echo=lambda _: None)
    assert await _counts(app) == before


async def test_a_negative_count_is_refused_before_anything_is_written(
    app: Litestar, first_run: list[str]
) -> None:
    before = await _counts(app)
    with pytest.raises(ValueError, match="negative"):
        await seed.seed_demo(app.state.db, customers=-1, reset=True, echo=lambda _: None)
    assert await _counts(app) == before


async def test_a_larger_count_tops_up_the_same_book(app: Litestar, session: Any) -> None:
    first_ids = set((await session.scalars(select(Customer.id))).all())
    lines: list[str] = []
    await seed.seed_demo(app.state.db, customers=SEEDED + 40, echo=lines.append)
    async with app.state.db.tenant_session(SCHEMA) as s:
        rows = (await s.scalars(select(Customer))).all()
    assert len(rows) == SEEDED + 40
    assert first_ids < {c.id for c in rows}
    # No mobile number is given twice, and the new ones are as real as the first.
    assert len({c.mobile for c in rows}) == SEEDED + 40
    added = [c for c in rows if c.id not in first_ids]
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(c.mobile, "CN")) for c in added)
    assert all(c.search_grams and c.version == 1 for c in added)
    # The two converted leads count towards the asked-for total.
    assert lines[-1].startswith(f"demo: {SEEDED + 40} customers ({40 - CONVERTED} added")


async def test_reset_drops_the_tenant_and_seeds_it_afresh(app: Litestar, first_run: list[str]) -> None:
    zhang_wei = await _actor(app, "sales1@demo.example")
    async with app.state.db.tenant_session(SCHEMA) as s:
        typed_in = await customers.create_customer(
            s,
            zhang_wei,
            CustomerInput(name="欧阳娜娜", kind="individual", mobile="13912345678", status="lead"),
        )
    lines: list[str] = []
    await seed.seed_demo(app.state.db, customers=50, reset=True, echo=lines.append)
    assert lines[0] == "demo: dropped tenant 'demo'"
    counts = await _counts(app)
    assert counts["customers"] == 50 + CONVERTED and counts["users"] == len(STAFF) and counts["tenants"] == 1
    # The audit record of the typed-in customer went with the old schema (the new one's audit log
    # holds only what the seed itself recorded: stock movements, lead conversions, pool moves).
    assert counts["operators"] >= 1
    async with app.state.db.engine.connect() as conn:
        about_typed_in = await conn.scalar(
            text(f"SELECT count(*) FROM {SCHEMA}.audit_log WHERE entity_id = :id"), {"id": str(typed_in.id)}
        )
    assert about_typed_in == 0
    async with app.state.db.tenant_session(SCHEMA) as s:
        assert await s.get(Customer, typed_in.id) is None
    async with app.state.db.platform_session() as s:
        operators = (await s.scalars(select(PlatformOperator.email))).all()
    assert "operator@dealercrm.example" in operators


async def test_the_sales_team_has_deals_on_every_stage_of_two_pipelines(session: Any) -> None:
    from app.opportunities.models import Contract, Opportunity
    from app.workflows import repository as workflows_repo

    by_stage = Counter(
        (pipeline, stage)
        for pipeline, stage in (await session.execute(select(Opportunity.pipeline, Opportunity.stage)))
    )
    sales_stages = {stage for pipeline, stage in by_stage if pipeline == "default"}
    assert sales_stages == {"qualify", "needs", "proposal", "negotiation", "won", "lost"}
    names = {p.key: p.name for p in await workflows_repo.pipelines(session, "opportunity")}
    [projects] = [key for key, name in names.items() if name == "工程/团购"]
    assert sum(n for (pipeline, _stage), n in by_stage.items() if pipeline == projects) >= 4
    won = by_stage[("default", "won")]
    assert won > 0
    assert await session.scalar(select(func.count()).select_from(Contract)) == won
