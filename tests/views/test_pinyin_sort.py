"""Names sort in pinyin order (安 before 张), not by code point (丁, 万, 东...), and keyset paging
walks that order without losing or repeating anyone (issues #7, #8)."""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import insert, select

from app.customers import service
from app.customers.models import Customer
from app.customers.repository import CustomerFilter, CustomerOrder
from app.customers.validation import CustomerInput
from app.domain import ValidationFailed
from app.kit.pinyin_sort import sort_key

NAMES = ["张三", "安娜", "丁一", "万二", "东方红", "西安电器", "先锋", "曾小贤", "Apple 专卖", "章三"]


def test_the_key_orders_names_as_a_dictionary_does() -> None:
    assert sorted(NAMES, key=sort_key) == [
        "安娜",
        "Apple 专卖",
        "丁一",
        "东方红",
        "万二",
        "西安电器",  # xi an before xian: syllable by syllable
        "先锋",
        "曾小贤",  # 曾 read as the surname zeng, not ceng
        "张三",
        "章三",  # reads alike: its own characters decide
    ]
    # A name comes before the longer names it starts with; an empty name before all.
    assert sort_key("") < sort_key("张") < sort_key("张三") < sort_key("张三丰")


async def _make(app: Litestar, kit: TenantKit, names: list[str]) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        who = await actor(app, kit, "sales_a")
        for i, name in enumerate(names):
            await service.create_customer(session, who, CustomerInput(name=name, mobile=f"1390000{i:04d}"))


async def test_the_customer_list_sorted_by_name_is_in_pinyin_order_page_by_page(
    app: Litestar, tenant: TenantKit
) -> None:
    await _make(app, tenant, NAMES)
    order = CustomerOrder(field="name", descending=False)
    seen: list[str] = []
    after = None
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "sales_a")
        while True:
            page = await service.list_customers(
                session, who, CustomerFilter(), order=order, first=3, after=after
            )
            seen += [c.name for c in page.items]
            if not page.has_next:
                break
            after = page.end_cursor
    assert seen == sorted(NAMES, key=sort_key)
    # Descending is the exact reverse.
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await service.list_customers(
            session, who, CustomerFilter(), order=CustomerOrder(field="name", descending=True), first=20
        )
    assert [c.name for c in page.items] == list(reversed(seen))


async def test_a_renamed_customer_moves_to_its_new_place(app: Litestar, tenant: TenantKit) -> None:
    await _make(app, tenant, ["张三", "王五"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "sales_a")
        zhang = await session.scalar(select(Customer).where(Customer.name == "张三"))
        assert zhang is not None
        await service.update_customer(session, who, zhang.id, zhang.version, CustomerInput(name="艾三"))
        page = await service.list_customers(
            session, who, CustomerFilter(), order=CustomerOrder(field="name", descending=False), first=5
        )
    assert [c.name for c in page.items] == ["艾三", "王五"]


async def test_rows_inserted_without_the_service_get_their_key_too(app: Litestar, tenant: TenantKit) -> None:
    """Core inserts (seeds, tests, bulk loads through SQLAlchemy) compute the key from the name."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        new_id = uuid.uuid4()
        await session.execute(
            insert(Customer).values(id=new_id, name="安心家电", kind="company", status="lead", search_text="")
        )
        await session.commit()
        key = await session.scalar(select(Customer.name_pinyin).where(Customer.id == new_id))
    assert key == sort_key("安心家电")


async def test_a_cursor_from_another_ordering_is_refused(app: Litestar, tenant: TenantKit) -> None:
    await _make(app, tenant, ["张三", "王五"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "sales_a")
        by_name = await service.list_customers(
            session, who, CustomerFilter(), order=CustomerOrder(field="name", descending=False), first=1
        )
        try:
            await service.list_customers(session, who, CustomerFilter(), first=1, after=by_name.end_cursor)
        except ValidationFailed as exc:
            assert exc.errors[0].code == "invalid_cursor"
        else:
            raise AssertionError("a name cursor was taken for the creation-time order")
