"""China's provinces, cities and county-level districts, by their official names and codes.

Read once from ``data/cn-divisions`` (National Bureau of Statistics data, see its SOURCE.md) for
address pickers, address validation, demo data and reports by region. Hong Kong, Macau and Taiwan
are not in the source.

The source has placeholder cities where a province-level unit has no prefecture-level city between
it and its districts: 市辖区 (and 县 for Chongqing's counties) under the four municipalities, and
省直辖县级行政区划 / 自治区直辖县级行政区划 for county-level cities run directly by a province (济源市,
仙桃市...). Cities without districts (东莞市, 中山市, 儋州市, 嘉峪关市) have one district named as the
city. Both are stored as in the source, so codes and validation stay exact, and hidden when an
address is shown (``display_city``, ``format_address``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True)
class _Divisions:
    provinces: tuple[str, ...]
    cities: dict[str, tuple[str, ...]]
    districts: dict[tuple[str, str], tuple[str, ...]]
    codes: dict[tuple[str, ...], str]


def _read_csv(name: str) -> list[dict[str, str]]:
    text = files("app.reference").joinpath("data", "cn-divisions", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def _divisions() -> _Divisions:
    """Everything, keyed by names along the chain (district names repeat across cities: 鼓楼区)."""
    province_by_code: dict[str, str] = {}
    city_by_code: dict[str, tuple[str, str]] = {}
    cities: dict[str, list[str]] = {}
    districts: dict[tuple[str, str], list[str]] = {}
    codes: dict[tuple[str, ...], str] = {}
    for row in sorted(_read_csv("provinces.csv"), key=lambda row: row["code"]):
        province_by_code[row["code"]] = row["name"]
        cities[row["name"]] = []
        codes[(row["name"],)] = row["code"]
    for row in sorted(_read_csv("cities.csv"), key=lambda row: row["code"]):
        province = province_by_code[row["provinceCode"]]
        city_by_code[row["code"]] = (province, row["name"])
        cities[province].append(row["name"])
        districts[(province, row["name"])] = []
        codes[(province, row["name"])] = row["code"]
    for row in sorted(_read_csv("areas.csv"), key=lambda row: row["code"]):
        province, city = city_by_code[row["cityCode"]]
        districts[(province, city)].append(row["name"])
        codes[(province, city, row["name"])] = row["code"]
    return _Divisions(
        provinces=tuple(province_by_code.values()),
        cities={name: tuple(names) for name, names in cities.items()},
        districts={key: tuple(names) for key, names in districts.items()},
        codes=codes,
    )


def provinces() -> list[str]:
    """The 31 province-level units, in code order (北京市 first)."""
    return list(_divisions().provinces)


def cities(province: str) -> list[str]:
    """The cities of a province in code order, placeholders included; empty for an unknown province."""
    return list(_divisions().cities.get(province, ()))


def districts(province: str, city: str) -> list[str]:
    """The county-level districts of a city in code order; empty for an unknown city."""
    return list(_divisions().districts.get((province, city), ()))


def is_valid(province: str | None, city: str | None, district: str | None) -> bool:
    """Whether the names form a real chain, given from the top down.

    Each part may be missing (``None`` or empty, as an HTML form sends it) only if every part
    below it is missing too: a province alone is a valid address, a city without its province is not.
    """
    parts = [province or None, city or None, district or None]
    given = [part for part in parts if part is not None]
    if parts[: len(given)] != given:
        return False
    return not given or tuple(given) in _divisions().codes


def division_code(province: str, city: str | None = None, district: str | None = None) -> str | None:
    """The official code of the lowest part given (11, 1101, 110108), or ``None`` if not a real chain."""
    parts = tuple(part for part in (province, city, district) if part)
    if not is_valid(province, city, district):
        return None
    return _divisions().codes.get(parts)


def display_city(province: str, city: str) -> str:
    """The city as an address shows it: a placeholder city shows as its province.

    北京市 / 市辖区 / 海淀区 reads 北京市 / 北京市 / 海淀区, as Chinese address pickers show it.
    """
    return province if city in PLACEHOLDER_CITIES else city


def format_address(
    province: str | None, city: str | None, district: str | None, detail: str | None = None
) -> str:
    """One line as written on a delivery note, without placeholder cities: 北京市海淀区中关村大街27号."""
    shown_city = None if city in PLACEHOLDER_CITIES else city
    parts = [province, shown_city, None if district == city else district, detail]
    return "".join(part.strip() for part in parts if part and part.strip())
