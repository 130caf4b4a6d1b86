"""Reading an uploaded table: CSV in UTF-8 (with or without BOM) or GBK/GB18030, or XLSX (also as
WPS writes it), one row at a time so a big file never sits in memory as a whole.

What cannot be read is a ``TableProblem`` whose ``code`` says why in a person's words (the caller
translates): an empty file, an old .xls, an encoding that is neither UTF-8 nor GB18030.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import re
import warnings
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._reader import _cast_number
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

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

    def rows(self) -> Generator[tuple[int, list[Any]], None, None]:
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

    async def chunks(self, size: int, after: int = 0) -> AsyncIterator[list[tuple[int, list[Any]]]]:
        """The data rows after line ``after`` in chunks of ``size``, each read in a thread while the
        caller works on the one before: parsing the next chunk (the XLSX XML, the CSV decoding)
        overlaps with PostgreSQL writing this one. One read at a time, so the file is read in order."""

        def take(rows: Iterator[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
            chunk: list[tuple[int, list[Any]]] = []
            for line, cells in rows:
                if line > after:
                    chunk.append((line, cells))
                    if len(chunk) >= size:
                        break
            return chunk

        rows = self.rows()
        ahead = asyncio.ensure_future(asyncio.to_thread(take, rows))
        try:
            while chunk := await ahead:
                ahead = asyncio.ensure_future(asyncio.to_thread(take, rows))
                yield chunk
        finally:
            # The caller stopped early (a failure, a superseded run): let the read in flight end
            # before the generator (and its file) is closed.
            if not ahead.done():
                with contextlib.suppress(BaseException):
                    await asyncio.wait([ahead], timeout=30)
            with contextlib.suppress(ValueError):  # still running in its thread: closed when it ends
                rows.close()

    def count(self) -> int:
        """How many data rows ``rows()`` will give (what the upload shows and checks)."""
        return sum(1 for _ in self.rows())

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
            book = _Book(handle)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # names of sheets not read, unsupported extensions
                book.read()
        except Exception as exc:  # a broken zip, a password-protected book, not a workbook at all
            handle.close()
            raise TableProblem("bad_xlsx", type(exc).__name__) from exc
        try:
            if book.sheet_path is None:
                raise TableProblem("empty")
            with book.archive.open(book.sheet_path) as source:
                yield from enumerate(_sheet_rows(source, book), start=1)
        except (ParseError, ValueError) as exc:  # the sheet's XML is broken (or not safe to read)
            raise TableProblem("bad_xlsx", type(exc).__name__) from exc
        finally:
            book.archive.close()
            handle.close()


class _Book(ExcelReader):
    """openpyxl's reader of a workbook (read-only, cached values rather than formulas) stopping
    short of the sheets: the first worksheet is only named, for ``_sheet_rows`` to read. (openpyxl's
    read-only sheet reads the whole sheet once on opening to size it when its <dimension> is not
    at the top, as in files openpyxl itself writes in write-only mode.)"""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__(handle, read_only=True, data_only=True, keep_links=False)
        self.sheet_path: str | None = None

    def read_strings(self) -> None:
        """``openpyxl.reader.strings.read_string_table``, with plain strings read directly."""
        found = self.package.find(SHARED_STRINGS)
        if found is None:
            return
        strings = []
        with self.archive.open(found.PartName[1:]) as source:
            for _event, node in iterparse(source):
                if node.tag == _SI:
                    strings.append(_text_of(node).replace("x005F_", ""))
                    node.clear()
        self.shared_strings = strings

    def read_worksheets(self) -> None:
        """The first worksheet, as ``load_workbook(...).worksheets[0]`` would be (chart sheets and
        sheets missing from the file passed over)."""
        for _sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.sheet_path = rel.target
                return


_MAIN = f"{{{SHEET_MAIN_NS}}}"
_SI, _T, _ROW, _V, _IS = (f"{_MAIN}{tag}" for tag in ("si", "t", "row", "v", "is"))
_COORDINATE = re.compile(r"([A-Z]{1,3})[0-9]+")
_COLUMNS: dict[str, int] = {}


def _text_of(node: Any) -> str:
    """A string item's text, as openpyxl's ``Text.from_tree(node).content`` gives it."""
    if len(node) == 1 and node[0].tag == _T and not len(node[0]):
        return node[0].text or ""  # one plain run: by far the most common
    return str(Text.from_tree(node).content)


def _column(coordinate: str) -> int:
    match = _COORDINATE.fullmatch(coordinate)
    if match is None:
        return coordinate_to_tuple(coordinate)[1]  # as openpyxl reads it (or fails)
    letters = match.group(1)
    found = _COLUMNS.get(letters)
    if found is None:
        found = _COLUMNS[letters] = coordinate_to_tuple(coordinate)[1]
    return found


def _sheet_rows(source: IO[bytes], book: _Book) -> Iterator[list[Any]]:
    """The sheet's rows as openpyxl's read-only sheet gives them after ``reset_dimensions()``
    with ``iter_rows(values_only=True)``: a row missing from the file as an empty row, each row as
    wide as its last cell, values as openpyxl makes them (shared and inline strings, numbers, dates
    by the cell's number format, booleans, formulas' cached values, error codes). The same values
    for a fraction of the work: a cell is read without building openpyxl's per-cell objects."""
    shared = book.shared_strings
    wb: Any = book.wb
    epoch, date_formats, timedelta_formats = wb.epoch, wb._date_formats, wb._timedelta_formats
    counter = 1  # the next row to give
    row_counter = 0
    for _event, element in iterparse(source):
        if element.tag != _ROW:
            continue
        r = element.get("r")
        if r is None:
            row_counter += 1
        else:
            try:
                row_counter = int(r)
            except ValueError:
                number = float(r)
                if not number.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                row_counter = int(number)
        column = 0
        cells: list[tuple[int, Any]] = []
        for cell in element:
            data_type = cell.get("t", "n")
            coordinate = cell.get("r")
            style: Any = cell.get("s", 0)
            if style:
                style = int(style)
            value: Any = None if data_type == "inlineStr" else (cell.findtext(_V, None) or None)
            column = _column(coordinate) if coordinate else column + 1
            if value is not None:
                if data_type == "n":
                    value = _cast_number(value)
                    if style in date_formats:
                        try:
                            value = from_excel(value, epoch, timedelta=style in timedelta_formats)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"
                elif data_type == "s":
                    value = shared[int(value)]
                elif data_type == "b":
                    value = bool(int(value))
                elif data_type == "d":
                    value = from_ISO8601(value)
            elif data_type == "inlineStr":
                child = cell.find(_IS)
                if child is not None:
                    value = _text_of(child)
            cells.append((column, value))
        element.clear()
        while counter < row_counter:  # rows the file leaves out
            counter += 1
            yield []
        if counter == row_counter:  # a row out of order is passed over, as openpyxl does
            counter += 1
            if not cells:
                yield []
                continue
            width = cells[-1][0]
            values: list[Any] = [None] * width
            for at, value in cells:
                if 1 <= at <= width:
                    values[at - 1] = value
            yield values


def cell_text(value: Any) -> str:
    """A cell as text (what the rejects file and messages show)."""
    return _text(value)
