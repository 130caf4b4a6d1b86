"""China's administrative divisions: pickers, validation and how an address reads."""

from __future__ import annotations

import pytest

from app.reference import divisions


def test_there_are_31_provinces_in_code_order() -> None:
    provinces = divisions.provinces()
    assert len(provinces) == 31
    assert provinces[:3] == ["北京市", "天津市", "河北省"]
    assert "广东省" in provinces
    assert "新疆维吾尔自治区" in provinces
    # Hong Kong, Macau and Taiwan are not in the source data.
    assert not [name for name in provinces if "香港" in name or "澳门" in name or "台湾" in name]


def test_cities_of_a_province() -> None:
    guangdong = divisions.cities("广东省")
    assert guangdong[:3] == ["广州市", "韶关市", "深圳市"]
    assert "东莞市" in guangdong
    assert divisions.cities("火星省") == []


def test_municipalities_have_placeholder_cities() -> None:
    # As in the official data: districts hang under 市辖区, and Chongqing's counties under 县.
    assert divisions.cities("北京市") == ["市辖区"]
    assert divisions.cities("上海市") == ["市辖区"]
    assert divisions.cities("重庆市") == ["市辖区", "县"]
    assert "城口县" in divisions.districts("重庆市", "县")


def test_districts_of_a_city() -> None:
    assert divisions.districts("北京市", "市辖区")[:6] == [
        "东城区",
        "西城区",
        "朝阳区",
        "丰台区",
        "石景山区",
        "海淀区",
    ]
    assert "南山区" in divisions.districts("广东省", "深圳市")
    assert divisions.districts("广东省", "市辖区") == []


def test_returned_lists_are_the_callers_own() -> None:
    divisions.provinces().clear()
    divisions.cities("北京市").append("假城市")
    assert len(divisions.provinces()) == 31
    assert divisions.cities("北京市") == ["市辖区"]


@pytest.mark.parametrize(
    ("province", "city", "district"),
    [
        ("北京市", "市辖区", "海淀区"),
        ("广东省", "深圳市", "南山区"),
        ("重庆市", "县", "城口县"),
        ("河南省", "省直辖县级行政区划", "济源市"),
        ("广东省", "东莞市", "东莞市"),
        ("北京市", "市辖区", None),
        ("浙江省", None, None),
        (None, None, None),
        # An HTML form sends empty strings for fields left blank.
        ("浙江省", "", ""),
    ],
)
def test_valid_addresses(province: str | None, city: str | None, district: str | None) -> None:
    assert divisions.is_valid(province, city, district)


@pytest.mark.parametrize(
    ("province", "city", "district"),
    [
        ("上海市", "市辖区", "海淀区"),  # a real district, in another municipality
        ("广东省", "杭州市", None),  # a real city, in another province
        ("北京", None, None),  # names are exact: 北京市
        (None, "深圳市", None),  # a city without its province
        ("广东省", None, "南山区"),  # a district without its city
        (None, None, "海淀区"),
    ],
)
def test_invalid_addresses(province: str | None, city: str | None, district: str | None) -> None:
    assert not divisions.is_valid(province, city, district)


def test_district_names_repeat_so_validation_follows_the_chain() -> None:
    # 鼓楼区 is in Nanjing, Xuzhou, Fuzhou and Kaifeng, each with its own code.
    assert divisions.is_valid("江苏省", "南京市", "鼓楼区")
    assert divisions.is_valid("福建省", "福州市", "鼓楼区")
    assert not divisions.is_valid("广东省", "广州市", "鼓楼区")
    assert divisions.division_code("江苏省", "南京市", "鼓楼区") != divisions.division_code(
        "福建省", "福州市", "鼓楼区"
    )


def test_division_codes() -> None:
    assert divisions.division_code("北京市") == "11"
    assert divisions.division_code("北京市", "市辖区") == "1101"
    assert divisions.division_code("北京市", "市辖区", "海淀区") == "110108"
    assert divisions.division_code("上海市", "市辖区", "海淀区") is None


@pytest.mark.parametrize(
    ("province", "city", "shown"),
    [
        ("北京市", "市辖区", "北京市"),
        ("天津市", "市辖区", "天津市"),
        ("重庆市", "县", "重庆市"),
        ("河南省", "省直辖县级行政区划", "河南省"),
        ("广东省", "广州市", "广州市"),
    ],
)
def test_a_placeholder_city_shows_as_its_province(province: str, city: str, shown: str) -> None:
    assert divisions.display_city(province, city) == shown


def test_an_address_reads_as_on_a_delivery_note() -> None:
    assert (
        divisions.format_address("北京市", "市辖区", "海淀区", "中关村大街27号")
        == "北京市海淀区中关村大街27号"
    )
    assert divisions.format_address("广东省", "深圳市", "南山区", None) == "广东省深圳市南山区"
    assert divisions.format_address("河南省", "省直辖县级行政区划", "济源市") == "河南省济源市"
    # 东莞市 has no districts; the source repeats the city as its only district.
    assert divisions.format_address("广东省", "东莞市", "东莞市", "南城街道") == "广东省东莞市南城街道"
    assert divisions.format_address(None, None, None, None) == ""
