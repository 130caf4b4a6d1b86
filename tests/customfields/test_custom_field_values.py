"""Custom-field values: each type parses, checks and shows its values; customers carry them into
the audit diff, the Chinese search, the list filters and exports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cf_kit import SOURCE_OPTIONS, codes, define, edit_customer, new_customer, purchase_channel
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.repository import CustomerFilter
from app.customfields.service import _Shape
from app.customfields.types import TYPES, ValueProblem
from app.domain import ValidationFailed
from app.exports.files import CsvRows
from app.i18n import gettext


def shape(type_name: str, **extra: Any) -> _Shape:
    return _Shape(key="f", type=type_name, **extra)


CHANNEL = shape("single_select", options=SOURCE_OPTIONS)
WISHES = shape(
    "multi_select", options=[{"value": "ac", "label_zh": "空调"}, {"value": "tv", "label_zh": "电视"}]
)

# (type, definition, raw input, stored form, display)
GOOD = [
    ("text", shape("text"), "  阳台朝南 ", "阳台朝南", "阳台朝南"),
    ("long_text", shape("long_text"), "第一行\n第二行", "第一行\n第二行", "第一行\n第二行"),
    ("integer", shape("integer"), "12", 12, "12"),
    ("integer", shape("integer"), 7.0, 7, "7"),
    ("decimal", shape("decimal"), "3.50", "3.5", "3.5"),
    ("money", shape("money"), 12000, "12000.00", "¥12,000.00"),
    ("date", shape("date"), "2026-02-28", "2026-02-28", "2026-02-28"),
    ("datetime", shape("datetime"), "2026-12-01T10:30", "2026-12-01T02:30:00+00:00", "2026-12-01 10:30"),
    ("single_select", CHANNEL, "jd", "jd", "京东"),
    ("multi_select", WISHES, ["tv", "ac", "tv"], ["ac", "tv"], "空调、电视"),
    ("multi_select", WISHES, "tv,ac", ["ac", "tv"], "空调、电视"),
    # Yes / no read in the request's language (是 / 否 in Chinese).
    ("boolean", shape("boolean"), "on", True, "Yes"),
    ("boolean", shape("boolean"), False, False, "No"),
    ("phone", shape("phone"), "0571-8888 6666", "057188886666", "057188886666"),
    ("email", shape("email"), "Li.Na@Example.COM", "li.na@example.com", "li.na@example.com"),
    (
        "staff",
        shape("staff"),
        "6f1c8a3e-1b2c-4d5e-8f90-123456789abc",
        "6f1c8a3e-1b2c-4d5e-8f90-123456789abc",
        "6f1c8a3e-1b2c-4d5e-8f90-123456789abc",
    ),
]

# (type, definition, raw input, error code)
BAD = [
    ("text", shape("text"), 12, "invalid"),
    ("text", shape("text"), "x" * 201, "too_long"),
    ("text", shape("text"), "a\x00b", "nul_byte"),
    ("integer", shape("integer"), "3.5", "invalid_integer"),
    ("integer", shape("integer"), True, "invalid_integer"),
    ("decimal", shape("decimal"), "1e9", "invalid_number"),
    ("money", shape("money"), "9.999", "invalid_money"),
    ("date", shape("date"), "2026-02-30", "invalid_date"),
    ("datetime", shape("datetime"), "明天上午", "invalid_datetime"),
    ("single_select", CHANNEL, "pdd", "invalid_choice"),
    ("multi_select", WISHES, ["tv", "washer"], "invalid_choice"),
    ("boolean", shape("boolean"), "maybe", "invalid_boolean"),
    ("phone", shape("phone"), "12", "invalid_phone"),
    ("email", shape("email"), "li.na@", "invalid_email"),
    ("staff", shape("staff"), "not-an-id", "invalid_id"),
]


@pytest.mark.parametrize(("type_name", "definition", "raw", "stored", "shown"), GOOD)
def test_each_type_parses_and_shows_a_good_value(
    type_name: str, definition: _Shape, raw: Any, stored: Any, shown: str
) -> None:
    kind = TYPES[type_name]
    value = kind.parse(raw, definition)
    kind.check(value, definition)
    assert value == stored
    assert kind.display(value, definition) == gettext(shown)


@pytest.mark.parametrize(("type_name", "definition", "raw", "code"), BAD)
def test_each_type_refuses_a_bad_value_with_a_code(
    type_name: str, definition: _Shape, raw: Any, code: str
) -> None:
    with pytest.raises(ValueProblem) as refused:
        TYPES[type_name].parse(raw, definition)
    assert refused.value.code == code


def test_validation_rules_apply_to_parsed_values() -> None:
    rooms = shape("integer", validation={"min": 1, "max": 20})
    with pytest.raises(ValueProblem) as refused:
        TYPES["integer"].check(30, rooms)
    assert refused.value.code == "out_of_range"
    contract = shape("text", validation={"regex": r"HT-\d{6}", "min_length": 9})
    TYPES["text"].check("HT-202611", contract)
    with pytest.raises(ValueProblem) as mismatch:
        TYPES["text"].check("HT-20261", contract)
    assert mismatch.value.code == "too_short"
    with pytest.raises(ValueProblem) as pattern:
        TYPES["text"].check("XX-2026110", contract)
    assert pattern.value.code == "pattern_mismatch"


def test_export_cells_are_typed_for_spreadsheets() -> None:
    assert TYPES["money"].export_cell("12000.00", shape("money")) == Decimal("12000.00")
    assert TYPES["date"].export_cell("2026-02-28", shape("date")) == date(2026, 2, 28)
    assert TYPES["boolean"].export_cell(True, shape("boolean")) == "是"
    assert TYPES["multi_select"].export_cell(["ac", "tv"], WISHES) == "空调，电视"
    # A negative amount is a number in the CSV, not text a spreadsheet would run as a formula.
    out = io.BytesIO()
    rows = CsvRows(out, ["预算"])
    rows.write([Decimal("-5.00")])
    rows.close()
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert lines[0][-1] == "预算" and lines[1] == ["-5.00"]


async def test_a_customer_is_created_with_values_and_a_default(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant, default="store")
    await define(app, tenant, key="rooms", label_zh="房间数", type="integer")
    customer = await new_customer(app, tenant, by="sales_a", name="张三", custom={"rooms": "3"})
    # The default fills a field left out on creation.
    assert customer.custom == {"channel": "store", "rooms": 3}


async def test_built_in_and_custom_errors_are_reported_together(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant)
    with pytest.raises(ValidationFailed) as refused:
        await new_customer(app, tenant, name="", mobile="123", custom={"channel": "pdd", "nope": 1})
    assert codes(refused.value) == {
        "name": "required",
        "mobile": "invalid_mobile",
        "custom.channel": "invalid_choice",
        "custom.nope": "unknown_field",
    }


async def test_a_staff_field_takes_only_active_staff(app: Litestar, tenant: TenantKit) -> None:
    await define(app, tenant, key="installer", label_zh="安装师傅", type="staff")
    made = await new_customer(
        app, tenant, name="王五", custom={"installer": str(tenant.people["technician"])}
    )
    assert made.custom == {"installer": str(tenant.people["technician"])}
    with pytest.raises(ValidationFailed) as refused:
        await new_customer(
            app, tenant, name="王六", custom={"installer": "6f1c8a3e-1b2c-4d5e-8f90-123456789abc"}
        )
    assert codes(refused.value) == {"custom.installer": "unknown_staff"}


async def test_the_audit_diff_shows_custom_values(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant)
    customer = await new_customer(app, tenant, name="赵七", custom={"channel": "jd"})
    await edit_customer(app, tenant, customer, custom={"channel": "tmall"})
    async with app.state.db.tenant_session(tenant.schema) as session:
        update = await session.scalar(
            select(AuditRecord).where(
                AuditRecord.entity_id == str(customer.id), AuditRecord.action == "update"
            )
        )
    assert update is not None
    assert update.before["custom.channel"] == "jd" and update.after["custom.channel"] == "tmall"


async def test_searchable_text_joins_the_chinese_search(app: Litestar, tenant: TenantKit) -> None:
    await define(app, tenant, key="estate", label_zh="小区", type="text", searchable=True)
    await define(app, tenant, key="memo", label_zh="内部备忘", type="text")
    await new_customer(app, tenant, name="钱八", custom={"estate": "绿地海珀", "memo": "保密备忘"})
    await new_customer(app, tenant, name="孙九", custom={"estate": "万科城市花园"})
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        found = await customers.list_customers(session, owner, CustomerFilter(search="海珀"))
        hidden = await customers.list_customers(session, owner, CustomerFilter(search="保密备忘"))
    assert [c.name for c in found.items] == ["钱八"]
    # A field that is not searchable stays out of the search.
    assert hidden.items == []


async def test_the_list_filters_on_select_range_and_date(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant)
    await define(app, tenant, key="budget", label_zh="预算", type="money", filterable=True)
    await define(app, tenant, key="deliver_on", label_zh="送货日", type="date", filterable=True)
    await new_customer(
        app, tenant, name="一号", custom={"channel": "jd", "budget": "9000", "deliver_on": "2026-12-05"}
    )
    await new_customer(
        app, tenant, name="二号", custom={"channel": "jd", "budget": "15000.5", "deliver_on": "2026-12-20"}
    )
    await new_customer(
        app, tenant, name="三号", custom={"channel": "store", "budget": "20000", "deliver_on": "2027-01-02"}
    )
    owner = await actor(app, tenant, "owner")

    async def names(*conditions: tuple[str, str, Any]) -> list[str]:
        async with app.state.db.tenant_session(tenant.schema) as session:
            page = await customers.list_customers(session, owner, CustomerFilter(custom=conditions))
        return sorted(c.name for c in page.items)

    assert await names(("channel", "eq", "jd")) == ["一号", "二号"]
    assert await names(("channel", "in", ["jd", "store"]), ("budget", "gte", "10000")) == ["三号", "二号"]
    assert await names(("deliver_on", "lte", "2026-12-31")) == ["一号", "二号"]
    with pytest.raises(ValidationFailed) as refused:
        await names(("budget", "contains", "9"))
    assert codes(refused.value) == {"filter.custom.0.op": "invalid_choice"}


async def test_an_export_has_a_column_per_field(app: Litestar, tenant: TenantKit) -> None:
    from app.exports import service as exports
    from app.storage import tenant_files

    await purchase_channel(app, tenant)
    await define(app, tenant, key="budget", label_zh="预算", type="money")
    await new_customer(app, tenant, name="导出甲", custom={"channel": "jd", "budget": "8800"})
    await new_customer(app, tenant, name="导出乙", custom={"channel": "store"})
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        job = await exports.request_customer_export(
            session, owner, CustomerFilter(custom=(("channel", "eq", "jd"),)), "csv"
        )
    assert await exports.run_customer_export(app.state.db, tenant.schema, job.id) == "done: 1 rows"
    text = (tenant_files(tenant.schema, exports.AREA).path(f"{job.id}.csv")).read_text(encoding="utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    at = header.index("购买渠道")
    assert header[at : at + 2] == ["购买渠道", "预算"]
    assert row[0] == "导出甲" and row[at : at + 2] == ["京东", "8800.00"]
