"""A quote as a printable PDF (A4, Chinese) on the dealer's letterhead.

reportlab's built-in CID font ``STSong-Light`` (Adobe's Song typeface, which every PDF reader
carries for Simplified Chinese) needs no font file; the text stays extractable (tests read it back).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from app.quotes.letterhead import Letterhead

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24)
_HEAD = ParagraphStyle("head", fontName=FONT, fontSize=9, leading=13, textColor=colors.HexColor("#555555"))
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12)
_RIGHT = ParagraphStyle("right", parent=_CELL, alignment=TA_RIGHT)
_BIG = ParagraphStyle("big", fontName=FONT, fontSize=12, leading=16, alignment=TA_RIGHT)

DIGITS = "零壹贰叁肆伍陆柒捌玖"


@dataclass(frozen=True)
class PrintedLine:
    name: str  # product name and model, or the trade-in's description
    trade_in: bool
    quantity: int
    unit: str
    unit_price: Decimal
    discount: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PrintedQuote:
    tenant_name: str
    letterhead: Letterhead
    number: str
    written_on: date
    valid_until: date
    status_label: str
    customer_name: str
    customer_phone: str | None
    salesperson: str | None
    price_list: str | None
    lines: Sequence[PrintedLine]
    total: Decimal
    tax_rate: Decimal
    tax: Decimal
    note: str | None


def yuan(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def capital_yuan(amount: Decimal) -> str:
    """An amount in capital numerals as written on Chinese commercial papers (大写金额):
    12,345.60 → 壹万贰仟叁佰肆拾伍元陆角整."""
    if amount < 0:
        return "负" + capital_yuan(-amount)
    fen_total = int((amount * 100).quantize(Decimal(1)))
    yuan_part, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    units = ["", "拾", "佰", "仟"]
    groups = ["", "万", "亿", "万亿"]
    text = ""
    if yuan_part:
        digits = str(yuan_part)
        parts: list[str] = []
        chunks = []
        while digits:
            chunks.append(digits[-4:])
            digits = digits[:-4]
        for gi, chunk in reversed(list(enumerate(chunks))):
            chunk_text = ""
            zero = False
            for i, ch in enumerate(chunk):
                d = int(ch)
                pos = len(chunk) - 1 - i
                if d == 0:
                    zero = True
                else:
                    if zero and chunk_text:
                        chunk_text += "零"
                    chunk_text += DIGITS[d] + units[pos]
                    zero = False
            if chunk_text:
                if parts and (len(chunk) < 4 or chunk.startswith("0")):
                    parts.append("零")
                parts.append(chunk_text + groups[gi])
            elif parts and parts[-1] != "零":
                parts.append("零")
        text = "".join(parts).rstrip("零") + "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def _logo(data: bytes | None) -> Flowable | None:
    if not data:
        return None
    try:
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
    except Exception:  # a logo the image reader cannot read is left off, not fatal  # noqa: BLE001
        return None
    box = 18 * mm
    scale = min(box / width, box / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def render(quote: PrintedQuote, labels: Mapping[str, str]) -> bytes:
    """The PDF bytes of a quote. ``labels``: the words printed (translated by the caller)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{labels['title']} {quote.number}",
        author=quote.tenant_name,
    )
    width = A4[0] - 32 * mm
    head_lines = [f"<font size=14>{_esc(quote.tenant_name)}</font>"]
    if quote.letterhead.address:
        head_lines.append(f"{labels['address']}：{_esc(quote.letterhead.address)}")
    if quote.letterhead.phone:
        head_lines.append(f"{labels['phone']}：{_esc(quote.letterhead.phone)}")
    head = Paragraph("<br/>".join(head_lines), ParagraphStyle("lh", parent=_BODY, leading=17))
    logo = _logo(quote.letterhead.logo_png)
    letterhead = Table(
        [[logo, head] if logo else [head]], colWidths=[22 * mm, width - 22 * mm] if logo else [width]
    )
    letterhead.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.HexColor("#1f4e8c")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    facts = [
        [labels["number"], quote.number, labels["written_on"], quote.written_on.isoformat()],
        [labels["customer"], quote.customer_name, labels["valid_until"], quote.valid_until.isoformat()],
        [labels["phone"], quote.customer_phone or "—", labels["salesperson"], quote.salesperson or "—"],
    ]
    if quote.price_list:
        facts.append([labels["price_list"], quote.price_list, labels["status"], quote.status_label])
    facts_table = Table(
        [
            [Paragraph(_esc(str(c)), _HEAD if i % 2 == 0 else _CELL) for i, c in enumerate(row)]
            for row in facts
        ],
        colWidths=[22 * mm, width / 2 - 22 * mm, 22 * mm, width / 2 - 22 * mm],
    )
    facts_table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1)])
    )

    header = [
        "#",
        labels["product"],
        labels["quantity"],
        labels["unit_price"],
        labels["discount"],
        labels["amount"],
    ]
    rows: list[list[Any]] = [[Paragraph(h, _CELL if i < 2 else _RIGHT) for i, h in enumerate(header)]]
    for i, line in enumerate(quote.lines, start=1):
        name = f"[{labels['trade_in']}] {line.name}" if line.trade_in else line.name
        rows.append(
            [
                Paragraph(str(i), _CELL),
                Paragraph(_esc(name), _CELL),
                Paragraph(f"{line.quantity} {_esc(line.unit)}", _RIGHT),
                Paragraph(yuan(line.unit_price), _RIGHT),
                Paragraph(f"{line.discount.normalize():f}%" if line.discount else "—", _RIGHT),
                Paragraph(yuan(line.amount), _RIGHT),
            ]
        )
    lines_table = Table(
        rows,
        colWidths=[
            8 * mm,
            width - 8 * mm - 20 * mm - 26 * mm - 16 * mm - 28 * mm,
            20 * mm,
            26 * mm,
            16 * mm,
            28 * mm,
        ],
        repeatRows=1,
    )
    lines_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d3e0")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    totals = [
        Paragraph(f"{labels['total']}：{yuan(quote.total)}", _BIG),
        Paragraph(f"{labels['in_words']}：{capital_yuan(quote.total)}", _RIGHT),
        Paragraph(
            f"{labels['tax'] % {'rate': f'{quote.tax_rate.normalize():f}'}}：{yuan(quote.tax)}", _RIGHT
        ),
    ]
    story: list[Flowable] = [
        letterhead,
        Spacer(1, 5 * mm),
        Paragraph(labels["title"], _TITLE),
        Spacer(1, 2 * mm),
        facts_table,
        Spacer(1, 4 * mm),
        lines_table,
        Spacer(1, 3 * mm),
        *totals,
    ]
    if quote.note:
        story += [Spacer(1, 4 * mm), Paragraph(f"{labels['note']}：{_esc(quote.note)}", _BODY)]
    story += [Spacer(1, 6 * mm), Paragraph(_esc(labels["terms"]), _HEAD)]
    doc.build(story)
    return buffer.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
