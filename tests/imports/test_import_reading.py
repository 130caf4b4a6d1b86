"""The import's fast paths give exactly what the libraries they shortcut give: an XLSX sheet read
cell for cell as openpyxl reads it (types included), a broken sheet refused as a bad workbook, a
mobile number judged as phonenumbers judges it, pinyin as pypinyin spells it."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pypinyin
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font

from app.kit.fields import normalize_mobile
from app.kit.imports.reader import Table, TableProblem
from app.kit.pinyin_sort import sort_key
from app.search.grams import lazy_pinyin


def openpyxl_rows(path: Path) -> list[tuple[int, list[Any]]]:
    """What openpyxl's read-only sheet gives (the importer's reader before it read the XML itself)."""
    with path.open("rb") as handle:
        book = load_workbook(handle, read_only=True, data_only=True)
        sheet: Any = book.worksheets[0]
        sheet.reset_dimensions()
        rows = [(line, list(row)) for line, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        book.close()
    return rows


def read(path: Path) -> list[tuple[int, list[Any]]]:
    return list(Table(path)._raw_rows())


def every_kind_of_cell(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "手机", "生日", "金额", "是否", "时间", "公式", None, "尾"])
    sheet.append(["张三", 13800138000, date(1990, 1, 2), 12.5, True, datetime(2024, 1, 2, 3, 4, 5), "=1+1"])
    sheet.append(["  空格  ", "138 0013 8001", "1990/01/02", 1e20, False, time(3, 4), "=A1", "", None])
    sheet["A6"] = "a row after two the file leaves out"
    sheet["C6"] = 3
    sheet["B8"].font = Font(bold=True)  # a styled cell holding nothing
    sheet["A9"] = CellRichText(["富", TextBlock(InlineFont(b=True), "文本")])
    sheet["D9"] = -0.0
    sheet["E9"] = 12345678901234567890
    sheet["A10"] = "x005F_y"
    sheet["B10"] = "两\n行"
    sheet["C10"] = "#N/A"
    sheet.append([timedelta(hours=5), 0, "", " ", None, 1.0])
    book.save(path)


def test_an_xlsx_reads_as_openpyxl_reads_it_cell_for_cell(tmp_path: Path) -> None:
    shared = tmp_path / "shared.xlsx"  # Excel's way: strings in the shared table, dates by style
    every_kind_of_cell(shared)
    streamed = tmp_path / "streamed.xlsx"  # openpyxl's write-only way: inline strings, no dimension
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in (
        ["客户名称", "手机号码"],
        ["王芳", 13900000001],
        [],
        [None, None],
        ["李娜", date(1980, 5, 6)],
    ):
        sheet.append(row)
    book.save(streamed)

    for path in (shared, streamed):
        expected = openpyxl_rows(path)
        got = read(path)
        assert got == expected
        assert [[type(v) for v in row] for _, row in got] == [[type(v) for v in row] for _, row in expected]
        table = Table(path)
        assert table.count() == sum(1 for _ in table.rows())
    assert [row for _, row in read(shared)][1][:6] == [
        "张三",
        13800138000,
        datetime(1990, 1, 2),
        12.5,
        True,
        datetime(2024, 1, 2, 3, 4, 5),
    ]
    assert read(streamed)[-1] == (5, ["李娜", datetime(1980, 5, 6)])


def test_a_workbook_with_a_broken_sheet_is_a_bad_xlsx(tmp_path: Path) -> None:
    good = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for i in range(50):
        sheet.append([f"客户{i}", f"1390000{i:04d}"])
    book.save(good)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off half way, as a failed download leaves it
            target.writestr(item, data)
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken.getvalue())
    with pytest.raises(TableProblem) as refused:
        Table(path).count()
    assert refused.value.code == "bad_xlsx"


def _full_check(raw: str) -> str | None:
    """``normalize_mobile`` without its shortcut: every number through phonenumbers' parse."""
    import phonenumbers

    digits = "".join(c for c in raw if c not in " \t\n-()")
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return str(number.national_number) if phonenumbers.number_type(number) in kinds else None


def test_mobiles_are_judged_as_phonenumbers_judges_them() -> None:
    numbers = [
        f"{prefix}{tail}" for prefix in range(100, 200) for tail in ("12345678", "00000000", "98765432")
    ]
    numbers += [f"{prefix}{tail}" for prefix in range(1700, 1800) for tail in ("1234567", "0000000")]
    numbers += ["+86 138 0013 8000", "0086-138-0013-8000", "8613800138000", "(0755)88888888", "010-12345678"]
    numbers += [
        "11912345678",
        "12012345678",
        "17912345678",
        "1380013800",
        "138001380001",
        "abc",
        "１３８００１３８０００",
    ]
    assert [normalize_mobile.__wrapped__(n) for n in numbers] == [_full_check(n) for n in numbers]
    assert normalize_mobile("138 0013 8000") == "13800138000"


def test_pinyin_is_spelled_as_pypinyin_spells_it() -> None:
    names = [
        "张伟",
        "曾小贤",
        "单田芳",
        "重庆长安",
        "银行行长",
        "长沙",
        "音乐",
        "区伟",
        "朝阳区",
        "〇一",
        "abc张",
    ]
    for name in names:
        assert lazy_pinyin(name) == pypinyin.lazy_pinyin(name, errors="ignore")
        assert lazy_pinyin([name]) == pypinyin.lazy_pinyin([name], errors="ignore")
    assert sort_key("曾小贤").startswith("zeng xiao xian !")


async def test_chunks_read_ahead_give_the_rows_in_order_after_a_resume_point(tmp_path: Path) -> None:
    path = tmp_path / "客户.csv"
    lines = ["姓名,手机"] + [f"客户{n},1380013{n:04d}" for n in range(1, 26)]
    lines.insert(8, ",")  # a blank row (line 9) is left out, as rows() leaves it out
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = Table(path)
    whole = list(table.rows())

    chunks = [chunk async for chunk in table.chunks(10)]
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert [row for chunk in chunks for row in chunk] == whole
    # A resumed run starts after the last line its journal holds (line 14 here).
    resumed = [row async for chunk in table.chunks(10, after=14) for row in chunk]
    assert resumed == [(line, cells) for line, cells in whole if line > 14]
    assert resumed[0] == (15, ["客户13", "13800130013"])


async def test_a_reader_stopped_early_lets_its_read_ahead_finish(tmp_path: Path) -> None:
    path = tmp_path / "客户.csv"
    path.write_text("姓名\n" + "".join(f"客户{n}\n" for n in range(100)), encoding="utf-8")
    reading = Table(path).chunks(10)
    first = await anext(reading)
    assert first[0] == (2, ["客户0"])
    await reading.aclose()  # the run failed after its first chunk: the next read is waited for
    with pytest.raises(StopAsyncIteration):
        await anext(reading)
