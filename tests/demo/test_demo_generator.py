"""Demo data: the dealer's named staff and realistic customers, the same for the same seed."""

from __future__ import annotations

import collections
import time
from datetime import datetime, timedelta

import phonenumbers
import pytest

from app.demo import generator
from app.demo.generator import (
    DEMO_PASSWORD,
    GENDERS,
    KINDS,
    SOURCES,
    STAFF,
    STATUSES,
    TAG_NAMES,
    TEAMS,
    TIERS,
    FakeCustomer,
    fake_customers,
)
from app.reference import divisions

NOW = datetime(2025, 6, 1, tzinfo=generator.CHINA_TIME)
OWNERS = ["sales1", "sales2", "sales3", "sales4"]


@pytest.fixture(scope="module")
def customers() -> list[FakeCustomer]:
    return list(fake_customers(2_000, seed=7, owner_ids=OWNERS, now=NOW))


def test_the_same_seed_gives_the_same_customers(customers: list[FakeCustomer]) -> None:
    assert list(fake_customers(2_000, seed=7, owner_ids=OWNERS, now=NOW)) == customers
    assert list(fake_customers(2_000, seed=8, owner_ids=OWNERS, now=NOW)) != customers


def test_every_field_is_there(customers: list[FakeCustomer]) -> None:
    assert all(set(customer) == set(FakeCustomer.__annotations__) for customer in customers)


def test_mobiles_are_valid_mainland_mobiles_and_unique(customers: list[FakeCustomer]) -> None:
    for customer in customers:
        number = phonenumbers.parse(customer["mobile"], "CN")
        assert len(customer["mobile"]) == 11
        assert phonenumbers.is_valid_number(number), customer["mobile"]
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    assert len({customer["mobile"] for customer in customers}) == len(customers)


def test_addresses_are_real_places(customers: list[FakeCustomer]) -> None:
    for customer in customers:
        assert divisions.is_valid(customer["province"], customer["city"], customer["district"])
        assert (customer["address_detail"] is None) == (customer["district"] is None)
    # A few leads leave only a phone number.
    without_address = sum(customer["province"] is None for customer in customers)
    assert 0.03 < without_address / len(customers) < 0.15


def test_values_are_from_their_enums(customers: list[FakeCustomer]) -> None:
    for customer in customers:
        assert customer["kind"] in KINDS
        assert customer["status"] in STATUSES
        assert customer["tier"] in TIERS
        assert customer["source"] in SOURCES
        assert customer["owner_id"] is None or customer["owner_id"] in OWNERS
        assert set(customer["tags"]) <= set(TAG_NAMES)
        assert len(set(customer["tags"])) == len(customer["tags"]) <= 3


def test_about_one_in_eight_customers_is_a_company(customers: list[FakeCustomer]) -> None:
    companies = [customer for customer in customers if customer["kind"] == "company"]
    assert 0.09 < len(companies) / len(customers) < 0.15
    assert all(company["name"].endswith("有限公司") for company in companies)
    # A company has no gender and no birthday.
    assert all(company["gender"] is None and company["birthday"] is None for company in companies)


def test_individuals_have_chinese_names_matching_their_gender(customers: list[FakeCustomer]) -> None:
    individuals = [customer for customer in customers if customer["kind"] == "individual"]
    assert {customer["gender"] for customer in individuals} <= set(GENDERS) - {"unknown"}
    assert all(2 <= len(customer["name"]) <= 4 for customer in individuals)
    # Faker's zh_CN name_male() draws from all given names; the generator keeps them apart.
    female_only = {"娟", "秀英", "桂英", "丽娟"}
    for customer in individuals:
        if customer["gender"] == "male":
            assert customer["name"][1:] not in female_only


def test_most_customers_are_leads_or_interested(customers: list[FakeCustomer]) -> None:
    statuses = collections.Counter(customer["status"] for customer in customers)
    assert statuses["lead"] + statuses["interested"] > len(customers) / 2
    assert statuses["lead"] > statuses["won"] > statuses["lost"]


def test_optional_fields_are_filled_in_realistic_shares(customers: list[FakeCustomer]) -> None:
    def share(field: str) -> float:
        return sum(customer.get(field) is not None for customer in customers) / len(customers)

    assert 0.25 < share("email") < 0.35
    assert 0.15 < share("notes") < 0.25
    assert 0.93 < share("owner_id") < 0.97
    individuals = [customer for customer in customers if customer["kind"] == "individual"]
    with_birthday = sum(customer["birthday"] is not None for customer in individuals) / len(individuals)
    assert 0.55 < with_birthday < 0.65


def test_emails_are_ascii(customers: list[FakeCustomer]) -> None:
    emails = [customer["email"] for customer in customers if customer["email"]]
    assert all(email.isascii() and email.count("@") == 1 for email in emails)


def test_birthdays_are_of_adults_aged_22_to_75(customers: list[FakeCustomer]) -> None:
    today = NOW.date()
    for customer in customers:
        birthday = customer["birthday"]
        if birthday is not None:
            age = today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))
            assert 22 <= age <= 75


def test_customers_were_created_over_the_last_three_years_in_order(customers: list[FakeCustomer]) -> None:
    created = [customer["created_at"] for customer in customers]
    assert all(moment.tzinfo is not None for moment in created)
    assert NOW - timedelta(days=3 * 365 + 1) <= min(created) <= max(created) <= NOW
    assert created[0] < NOW - timedelta(days=1000) and created[-1] > NOW - timedelta(days=30)
    # Shop hours, China time.
    assert all(9 <= moment.hour <= 20 for moment in created)
    assert [moment.date() for moment in created] == sorted(moment.date() for moment in created)


def test_customers_without_owners_to_assign() -> None:
    assert all(customer["owner_id"] is None for customer in fake_customers(50, seed=1, owner_ids=[], now=NOW))


def test_now_must_say_its_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        next(fake_customers(1, seed=1, owner_ids=[], now=datetime(2025, 6, 1)))


def test_every_mobile_prefix_is_valid() -> None:
    for prefix in generator._MOBILE_PREFIXES:
        for tail in ("00000000", "55555555", "99999999"):
            number = phonenumbers.parse(prefix + tail, "CN")
            assert phonenumbers.is_valid_number(number), prefix


def test_two_thousand_customers_take_well_under_a_second() -> None:
    # 200,000 take about 6 s on the development machine; this guards against a Faker call per field.
    started = time.perf_counter()
    rows = list(fake_customers(2_000, seed=3, owner_ids=OWNERS, now=NOW))
    assert len(rows) == 2_000
    assert time.perf_counter() - started < 1.0


def test_without_now_the_rows_end_before_today() -> None:
    (customer,) = fake_customers(1, seed=1, owner_ids=[])
    assert customer["created_at"] < datetime.now(generator.CHINA_TIME)


# The demo dealer's people.


def test_staff_have_unique_ascii_emails_and_known_roles() -> None:
    emails = [member["email"] for member in STAFF]
    assert len(set(emails)) == len(emails)
    assert all(email.isascii() and email.endswith("@demo.example") for email in emails)
    # One person per role of app.accounts.permissions.DEFAULT_ROLES, at least.
    role_keys = {"owner", "admin", "manager", "sales", "service", "technician", "marketing", "viewer"}
    assert {member["role"] for member in STAFF} == role_keys


def test_the_owner_is_wang_jianguo() -> None:
    (owner,) = [member for member in STAFF if member["role"] == "owner"]
    assert owner == {"email": "owner@demo.example", "name": "王建国", "role": "owner", "team": None}


def test_each_team_has_a_manager_and_two_salespeople() -> None:
    for team in TEAMS:
        members = collections.Counter(member["role"] for member in STAFF if member["team"] == team)
        assert members == {"manager": 1, "sales": 2}
    roles = collections.Counter(member["role"] for member in STAFF)
    assert roles["service"] == roles["technician"] == 2


def test_zhang_wei_is_the_first_salesperson() -> None:
    assert {"email": "sales1@demo.example", "name": "张伟", "role": "sales", "team": "门店一组"} in STAFF


def test_the_demo_password_is_documented() -> None:
    assert DEMO_PASSWORD == "demo12345"


def test_a_dealers_customers_mostly_live_near_the_shop() -> None:
    """With a home city, about 70% live in it and about 90% in its province; without, anywhere."""
    rows = [
        r for r in fake_customers(2000, seed=7, owner_ids=[1], home=("浙江省", "杭州市")) if r["province"]
    ]
    in_city = sum(r["city"] == "杭州市" for r in rows) / len(rows)
    in_province = sum(r["province"] == "浙江省" for r in rows) / len(rows)
    assert 0.62 < in_city < 0.78 and 0.84 < in_province < 0.95
    spread = [r for r in fake_customers(2000, seed=7, owner_ids=[1]) if r["province"]]
    assert sum(r["province"] == "浙江省" for r in spread) / len(spread) < 0.2
