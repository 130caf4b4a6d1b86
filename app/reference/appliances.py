"""Home-appliance reference data: categories (三包 warranty baseline, safe-use life, serial numbers,
installation), brands and consumables with replacement intervals.

Read once from ``data/appliances`` (written for this project; see its SOURCE.md). Every value is a
default a dealer edits once it is in their catalog (``app.catalog.starting``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    parent: str | None
    serial_tracked: bool
    installation: bool
    warranty_whole_months: int
    warranty_main_parts_months: int
    main_parts: str | None
    safe_use_years: int | None
    typical_price_min: int
    typical_price_max: int


@dataclass(frozen=True)
class Brand:
    name: str
    name_en: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Consumable:
    category: str
    name: str
    name_en: str
    interval_months_min: int
    interval_months_max: int
    kind: str  # consumable | maintenance


def _rows(name: str) -> list[dict[str, str]]:
    text = files("app.reference").joinpath("data", "appliances", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    """Parents before their children, as in the file."""
    return tuple(
        Category(
            code=r["code"],
            name=r["name_zh"],
            name_en=r["name_en"],
            parent=r["parent"] or None,
            serial_tracked=r["serial_tracked"] == "1",
            installation=r["installation"] == "1",
            warranty_whole_months=int(r["warranty_whole_months"]),
            warranty_main_parts_months=int(r["warranty_main_parts_months"]),
            main_parts=r["main_parts_zh"] or None,
            safe_use_years=int(r["safe_use_years"]) if r["safe_use_years"] else None,
            typical_price_min=int(r["typical_price_min"]),
            typical_price_max=int(r["typical_price_max"]),
        )
        for r in _rows("categories.csv")
    )


@lru_cache(maxsize=1)
def brands() -> tuple[Brand, ...]:
    return tuple(
        Brand(name=r["name_zh"], name_en=r["name_en"], categories=tuple(r["categories"].split(";")))
        for r in _rows("brands.csv")
    )


@lru_cache(maxsize=1)
def consumables() -> tuple[Consumable, ...]:
    return tuple(
        Consumable(
            category=r["category"],
            name=r["name_zh"],
            name_en=r["name_en"],
            interval_months_min=int(r["interval_months_min"]),
            interval_months_max=int(r["interval_months_max"]),
            kind=r["kind"],
        )
        for r in _rows("consumables.csv")
    )
