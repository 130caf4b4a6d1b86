"""Reading an uploaded table: CSV in UTF-8 (with or without BOM) or GBK/GB18030, or XLSX (also as
WPS writes it), one row at a time so a big file never sits in memory as a whole.

What cannot be read is a ``TableProblem`` whose ``code`` says why in a person's words (the caller
translates): an empty file, an old .xls, an encoding that is neither UTF-8 nor GB18030.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from openpyxl import load_workbook

FORMATS = ("csv", "xlsx")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .et) format
_SAMPLE = 64 * 1024


class TableProblem(Exception):
    """The file cannot be read as a table; ``code`` names why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class TableInfo:
    format: str
    encoding: str | None
    headers: list[str]


def sniff_format(head: bytes) -> str:
    if head.startswith(_OLE):
        raise TableProblem("old_xls")
    if head.startswith(_ZIP):
        return "xlsx"
    return "csv"


def detect_encoding(path: Path) -> str:
    """utf-8-sig (BOM), utf-8, or gb18030 (a superset of GBK and GB2312, what Excel on a Chinese
    Windows saves as "CSV"): the first that decodes the whole file without error."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    with path.open("rb") as f:
        if b"\x00" in f.read(_SAMPLE):
            raise TableProblem("bad_encoding")  # UTF-16 without a BOM, or not text at all
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1024 * 1024):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableProblem("bad_encoding")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _blank(row: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


class Table:
    """An uploaded file opened for reading: ``headers`` and ``rows()``, each row with its line number."""

    def __init__(self, path: Path, fmt: str | None = None, encoding: str | None = None) -> None:
        self.path = path
        if path.stat().st_size == 0:
            raise TableProblem("empty")
        with path.open("rb") as f:
            head = f.read(8)
        self.format = fmt or sniff_format(head)
        self.encoding = encoding
        if self.format == "csv" and self.encoding is None:
            self.encoding = detect_encoding(path)
        self.headers = self._headers()

    def info(self) -> TableInfo:
        return TableInfo(self.format, self.encoding, self.headers)

    def _headers(self) -> list[str]:
        for _line, row in self._raw_rows():
            headers = [_text(v) for v in row]
            while headers and not headers[-1]:
                headers.pop()
            if not headers:
                break
            return headers
        raise TableProblem("empty")

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Data rows after the header, padded or cut to the header's width; blank rows left out."""
        width = len(self.headers)
        first = True
        for line, row in self._raw_rows():
            if first:
                first = False
                continue
            if _blank(row):
                continue
            cells = list(row[:width]) + [None] * (width - len(row))
            yield line, cells

    def count(self) -> int:
        """How many data rows ``rows()`` will give (what the upload shows and checks)."""
        if self.format == "xlsx":
            found = self._xlsx_count()
            if found is not None:
                return found
        return sum(1 for _ in self.rows())

    def _xlsx_count(self) -> int | None:
        """The data rows of the first sheet counted from its XML alone, without turning every cell
        into a value as ``rows()`` does (100,000 rows: seconds, not minutes): rows after the header
        with a cell holding something not blank. None when anything is unexpected (then ``count``
        reads the rows)."""
        handle = self.path.open("rb")
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
            try:
                sheet: Any = book.worksheets[0] if book.worksheets else None
                path, shared = (
                    getattr(sheet, "_worksheet_path", None),
                    getattr(sheet, "_shared_strings", None),
                )
                if path is None or shared is None:
                    return None
                with book._archive.open(path) as source:
                    return _count_sheet_rows(source, shared)
            finally:
                book.close()
        except Exception:  # noqa: BLE001 - the full read says what is wrong, if anything
            return None
        finally:
            handle.close()

    def _raw_rows(self) -> Iterator[tuple[int, list[Any]]]:
        if self.format == "xlsx":
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    def _csv_rows(self) -> Iterator[tuple[int, list[Any]]]:
        assert self.encoding is not None
        with self.path.open("r", encoding=self.encoding, newline="") as f:
            sample = f.read(_SAMPLE)
            f.seek(0)
            if self.encoding == "utf-8-sig" or sample.startswith("\ufeff"):
                pass  # the codec drops the BOM itself
            try:
                dialect: Any = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(f, dialect)
            try:
                for line, row in enumerate(reader, start=1):
                    yield line, [c.lstrip("\ufeff") if i == 0 else c for i, c in enumerate(row)]
            except csv.Error as exc:
                raise TableProblem("bad_csv", str(exc)) from exc

    def _xlsx_rows(self) -> Iterator[tuple[int, list[Any]]]:
        handle = self.path.open("rb")  # a file object: openpyxl would refuse the stored name's suffix
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # a broken zip, a password-protected book, not a workbook at all
            handle.close()
            raise TableProblem("bad_xlsx", type(exc).__name__) from exc
        try:
            sheet: Any = book.worksheets[0] if book.worksheets else None
            if sheet is None:
                raise TableProblem("empty")
            # WPS (and some exporters) write a wrong <dimension>; read what is there instead.
            sheet.reset_dimensions()
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(row)
        finally:
            book.close()
            handle.close()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _count_sheet_rows(source: IO[bytes], shared: Sequence[Any]) -> int:
    """Rows of a sheet's XML with a cell not blank (as ``_blank`` judges), the header's excepted."""
    rows = 0
    for _event, element in ElementTree.iterparse(source, events=("end",)):
        if element.tag != f"{_MAIN}row":
            continue
        for cell in element.iter(f"{_MAIN}c"):
            kind = cell.get("t")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
            else:
                value = cell.find(f"{_MAIN}v")
                text = value.text if value is not None and value.text is not None else ""
                if kind == "s" and text:
                    text = str(shared[int(text)])
            if text.strip():
                rows += 1
                break
        element.clear()
    return max(rows - 1, 0)  # the first row holding anything is the header


def cell_text(value: Any) -> str:
    """A cell as text (what the rejects file and messages show)."""
    return _text(value)
