"""What an exported customer list looks like: Chinese headers and labels, CSV and XLSX writers.

The file is for people opening it in Excel or WPS, so headers and enumerations are Chinese
whatever the requester's admin language, CSV carries a BOM (Excel otherwise reads UTF-8 as GBK),
and any text cell that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, Protocol
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.customers.fields import CustomerKind, CustomerSource, CustomerStatus, CustomerTier, Gender
from app.customers.models import Customer
from app.i18n import translate
from app.kit.enums import LabeledEnum

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Times in the file are the dealer's wall-clock time, as on the admin's pages.
FILE_TZ = ZoneInfo("Asia/Shanghai")

HEADERS = (
    "姓名",
    "类型",
    "性别",
    "手机",
    "邮箱",
    "省",
    "市",
    "区",
    "详细地址",
    "来源",
    "状态",
    "等级",
    "标签",
    "负责人",
    "生日",
    "备注",
    "创建时间",
    "更新时间",
)

# Enumerations read as on the admin's screens (one label source: the declared enums and the
# zh_CN catalog), in Chinese whatever the requester's admin language.
FILE_LOCALE = "zh_CN"


# A cell starting with one of these is a formula to Excel, WPS and LibreOffice (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text that a spreadsheet would evaluate gets a leading quote, so it is shown, not run."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _label(enum: type[LabeledEnum], value: str | None) -> str:
    if not value:
        return ""
    member = enum.parse(value)
    return translate(member.label, FILE_LOCALE) if member is not None else value


# After the custom fields: a customer's contacts and addresses, one cell each ("；" between records).
CHILD_HEADERS = ("联系人", "地址")


def contacts_cell(contacts: Sequence[Any]) -> str:
    """张三（采购经理）13800138000 <a@b.cn>；... — the primary contact first."""
    parts = []
    for c in sorted(contacts, key=lambda c: not getattr(c, "is_primary", False)):
        text = c.name + (f"（{c.title}）" if c.title else "")
        text += "".join(f" {v}" for v in (c.mobile, f"<{c.email}>" if c.email else None) if v)
        parts.append(text)
    return "；".join(parts)


def addresses_cell(addresses: Sequence[Any], kind_label: Any) -> str:
    """[送货] 广东省深圳市南山区科技园一路1号 李四 13800138000；... — the default address first."""
    parts = []
    for a in sorted(addresses, key=lambda a: not getattr(a, "is_default", False)):
        place = "".join(v for v in (a.province, a.city, a.district, a.detail) if v)
        who = " ".join(v for v in (a.recipient, a.phone) if v)
        parts.append(f"[{kind_label(a.kind)}] {place}" + (f" {who}" if who else ""))
    return "；".join(parts)


def customer_row(customer: Customer, tags: Sequence[str], owner_names: dict[uuid.UUID, str]) -> list[Any]:
    """One customer in header order; text is raw here and neutralised by the writer."""
    return [
        customer.name,
        _label(CustomerKind, customer.kind),
        _label(Gender, customer.gender),
        customer.mobile or "",
        customer.email or "",
        customer.province or "",
        customer.city or "",
        customer.district or "",
        customer.address_detail or "",
        _label(CustomerSource, customer.source),
        _label(CustomerStatus, customer.status),
        _label(CustomerTier, customer.tier),
        "，".join(tags),
        owner_names.get(customer.owner_id, "") if customer.owner_id else "",
        customer.birthday,
        customer.notes or "",
        customer.created_at.astimezone(FILE_TZ).replace(tzinfo=None) if customer.created_at else None,
        customer.updated_at.astimezone(FILE_TZ).replace(tzinfo=None) if customer.updated_at else None,
    ]


class RowWriter(Protocol):
    def write(self, row: Sequence[Any]) -> None: ...

    def close(self) -> None: ...


class CsvRows:
    """UTF-8 with a BOM, CRLF line ends: what Excel on Windows opens correctly."""

    def __init__(self, out: BinaryIO, extra_headers: Sequence[str] = ()) -> None:
        out.write(codecs.BOM_UTF8)
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        self._csv.writerow([*HEADERS, *(neutralise(h) for h in extra_headers)])

    def write(self, row: Sequence[Any]) -> None:
        self._csv.writerow([self._cell(v) for v in row])

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)  # a number (a custom field's), not text a spreadsheet might run
        return neutralise(str(value))

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns (and fsyncs) the binary file


class XlsxRows:
    """openpyxl in write-only mode: rows stream to disk, memory stays flat for big lists."""

    def __init__(self, out: BinaryIO, extra_headers: Sequence[str] = ()) -> None:
        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("客户")
        self._sheet.append([*HEADERS, *(neutralise(h) for h in extra_headers)])

    def write(self, row: Sequence[Any]) -> None:
        self._sheet.append([self._cell(v) for v in row])

    def _cell(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return value
        # Control characters are not allowed in XLSX text; a pasted note may carry some.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))

    def close(self) -> None:
        self._book.save(self._out)


def row_writer(fmt: str, out: BinaryIO, extra_headers: Sequence[str] = ()) -> RowWriter:
    """``extra_headers``: the tenant's custom fields, after the built-in columns."""
    if fmt == "csv":
        return CsvRows(out, extra_headers)
    if fmt == "xlsx":
        return XlsxRows(out, extra_headers)
    raise ValueError(f"unknown export format {fmt!r}")
