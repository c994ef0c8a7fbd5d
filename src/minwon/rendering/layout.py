"""Turns layout blocks (what templates emit) into reportlab flowables; no per-type code."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.paraparser import ParaFrag, ParaParser

from minwon.rendering.fonts import FONT, FONT_BOLD, register_fonts
from minwon.rendering.templating import TemplateError

KEEP_MIN = 30 * mm  # heading plus a few rows
LABEL_FILL = colors.HexColor("#EEF1F5")
GRID = colors.HexColor("#7A8591")

# Lines break at spaces only, as Korean is written: reportlab's "CJK" wrapping would split
# 다른 or 뒷자리 between syllables. No word is split either (splitLongWords=0): a cell whose
# longest word is wider than the cell gets a smaller font instead (_fitting).
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, splitLongWords=0)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=11)
CELL_HEAD = ParagraphStyle("cell_head", parent=CELL, fontName=FONT_BOLD, alignment=1)
CELL_CENTRED = ParagraphStyle("cell_centred", parent=CELL, alignment=1)
SMALL = ParagraphStyle("small", parent=CELL, fontSize=7.5, leading=9.5)
SMALL_LABEL = ParagraphStyle("small_label", parent=SMALL, fontName=FONT_BOLD)
HEADING = ParagraphStyle(
    "heading", parent=BODY, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=4
)
NOTE = ParagraphStyle(
    "note", parent=BODY, fontSize=8, leading=11, textColor=colors.HexColor("#444444")
)


@dataclass(frozen=True, slots=True)
class Layout:
    """The flowables of the document body and the statement printed in the footer."""

    flowables: list[Flowable]
    statement: str | None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "예" if value else "아니요"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"칸에는 글자나 숫자만 들어갈 수 있습니다: {value!r}")


_MARKUP = frozenset("&<>")  # what the markup parser would read as markup


@lru_cache(maxsize=32)
def _plain_fragment(style: ParagraphStyle) -> ParaFrag:
    """Returns what reportlab's markup parser makes of plain text in ``style``."""
    _, frags, _ = ParaParser().parse("x", style)
    return frags[0]


def _para(value: object, style: ParagraphStyle) -> Paragraph:
    text = _text(value)
    if "\n" in text or not _MARKUP.isdisjoint(text):
        # Escape so a name containing "<" or "&" prints as written instead of as markup.
        return Paragraph(escape(text).replace("\n", "<br/>"), style)
    # One line of plain text needs no markup parser: give the paragraph the fragment the
    # parser would have made (a page has ~50 cells; parsing them was a tenth of a page),
    # with whitespace collapsed as the parser collapses it.
    text = " ".join(text.split())
    fragment = _plain_fragment(style).clone(text=text, link=[], us_lines=[])
    return Paragraph(text, style, frags=[fragment])


_ALIGN = {0: "LEFT", 1: "CENTER", 2: "RIGHT"}
CELL_PADDING = 6.0  # reportlab's default left and right padding in a table cell
MIN_FONT_SIZE = 4.0  # a word is never shrunk below this (a template would have to change)


@lru_cache(maxsize=64)
def _shrunk(style: ParagraphStyle, size: float) -> ParagraphStyle:
    return ParagraphStyle(
        f"{style.name}@{size}",
        parent=style,
        fontSize=size,
        leading=style.leading * size / style.fontSize,
    )


def _fitting(text: str, style: ParagraphStyle, room: float) -> ParagraphStyle:
    """Returns ``style``, or a smaller one if the longest word of ``text`` is wider than
    ``room``: a word is never broken, so it must fit on a line of its own."""
    words = text.split()
    if not words:
        return style
    widest = max(stringWidth(w, style.fontName, style.fontSize) for w in words)
    if widest <= room:
        return style
    size = max(MIN_FONT_SIZE, int(style.fontSize * room / widest * 10) / 10)
    return _shrunk(style, size)


def _cell(value: object, style: ParagraphStyle, width: float) -> Paragraph | str:
    """Returns a cell's content: text that fits on one line as a plain string, which the
    table draws in the cell's font (see _cell_font), and a wrapping paragraph otherwise.

    Most cells are a name, a date or a label; a paragraph for each was half the page's
    layout cost, for the same glyphs in the same place.
    """
    text = _text(value)
    room = width - 2 * CELL_PADDING
    if "\n" not in text:
        line = " ".join(text.split())
        if stringWidth(line, style.fontName, style.fontSize) <= room:
            return line
    return _para(value, _fitting(text, style, room))


def _cell_font(style: ParagraphStyle, first: tuple[int, int], last: tuple[int, int]) -> list[Any]:
    """Returns table style commands that draw string cells as ``style`` would."""
    return [
        ("FONT", first, last, style.fontName, style.fontSize, style.leading),
        ("TEXTCOLOR", first, last, style.textColor),
        ("ALIGN", first, last, _ALIGN.get(style.alignment, "LEFT")),
    ]


def _widths(weights: Sequence[object] | None, count: int, width: float) -> list[float]:
    if not weights:
        return [width / count] * count
    if len(weights) != count:
        raise TemplateError(f"widths는 열 수({count})와 같아야 합니다.")
    numbers = [float(_text(w)) for w in weights]
    total = sum(numbers)
    return [width * w / total for w in numbers]


def _grid(header_rows: int) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), LABEL_FILL))
    return TableStyle(commands)


def _kv(block: Mapping[str, Any], width: float) -> Flowable:
    pairs = block["kv"]
    cols = int(block.get("cols", 1))
    small = bool(block.get("small", False))
    if not isinstance(pairs, list) or any(not isinstance(p, list) or len(p) != 2 for p in pairs):
        raise TemplateError("kv는 [라벨, 값] 쌍의 목록이어야 합니다.")
    if cols not in (1, 2):
        raise TemplateError("kv의 cols는 1 또는 2입니다.")
    label_style, value_style = (SMALL_LABEL, SMALL) if small else (CELL_HEAD, CELL)
    col_widths = _widths([1, 2.6] * cols, 2 * cols, width)
    label_width, value_width = col_widths[0], col_widths[1]
    rows: list[list[Paragraph | str]] = []
    for start in range(0, len(pairs), cols):
        row: list[Paragraph | str] = []
        for label, value in pairs[start : start + cols]:
            row += [_cell(label, label_style, label_width), _cell(value, value_style, value_width)]
        row += [""] * (2 * cols - len(row))
        rows.append(row)
    if not rows:
        return Spacer(0, 0)
    style = _grid(0)
    for c in range(0, 2 * cols, 2):
        style.add("BACKGROUND", (c, 0), (c, -1), LABEL_FILL)
        for command in _cell_font(label_style, (c, 0), (c, -1)):
            style.add(*command)
        for command in _cell_font(value_style, (c + 1, 0), (c + 1, -1)):
            style.add(*command)
    return Table(rows, colWidths=col_widths, style=style, hAlign="LEFT")


def _table(block: Mapping[str, Any], width: float) -> Flowable:
    spec = block["table"]
    if not isinstance(spec, dict):
        raise TemplateError("table은 columns/rows를 가진 매핑이어야 합니다.")
    columns = spec.get("columns") or []
    rows = spec.get("rows") or []
    if not columns:
        raise TemplateError("table에는 columns가 필요합니다.")
    empty = not rows
    if empty:
        rows = [[spec.get("empty", "해당 없음")] + [""] * (len(columns) - 1)]
    if any(not isinstance(r, list) or len(r) != len(columns) for r in rows):
        raise TemplateError("table의 모든 행은 columns와 칸 수가 같아야 합니다.")
    widths = _widths(spec.get("widths"), len(columns), width)
    data = [[_cell(c, CELL_HEAD, w) for c, w in zip(columns, widths, strict=True)]]
    data += [[_cell(v, CELL, w) for v, w in zip(row, widths, strict=True)] for row in rows]
    if empty:  # "해당 없음" across the whole row, not squeezed into the first column
        data[1][0] = _cell(rows[0][0], CELL, sum(widths))
    style = _grid(1)
    for command in _cell_font(CELL_HEAD, (0, 0), (-1, 0)) + _cell_font(CELL, (0, 1), (-1, -1)):
        style.add(*command)
    if empty:
        style.add("SPAN", (0, 1), (-1, 1))
    # repeatRows keeps the column names on top when a long table crosses pages.
    return Table(data, colWidths=widths, style=style, repeatRows=1, hAlign="LEFT")


def _heading(block: Mapping[str, Any], width: float) -> Flowable:
    return _para(block["heading"], HEADING)


def _paragraph(block: Mapping[str, Any], width: float) -> Flowable:
    return _para(block["paragraph"], BODY)


def _note(block: Mapping[str, Any], width: float) -> Flowable:
    return _para(block["note"], NOTE)


def _picture(value: object, size: float) -> Image | None:
    """Returns a base64 PNG as an image at most ``size`` points a side, or None when there
    is none or it cannot be read (the box then says so instead of failing the page)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        data = base64.b64decode(value, validate=True)
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
        reader.getRGBData()  # decoded now: a picture cut short fails here, not mid-page
    except (binascii.Error, ValueError, OSError):
        return None
    scale = size / max(width, height, 1)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _image(block: Mapping[str, Any], width: float) -> Flowable:
    """A bordered box: the label on top, the image (base64 PNG) below at ``size`` mm, or
    the ``missing`` text in its place."""
    size = float(_text(block.get("size", 25))) * mm
    side = size + 2 * CELL_PADDING
    picture = _picture(block["image"], size)
    missing = _text(block.get("missing", "이미지 없음"))
    content: Flowable = (
        picture if picture is not None else _para(missing, _fitting(missing, CELL_CENTRED, size))
    )
    rows = [[_cell(block.get("label", ""), CELL_HEAD, side)], [content]]
    style = _grid(1)
    for command in _cell_font(CELL_HEAD, (0, 0), (0, 0)):
        style.add(*command)
    style.add("ALIGN", (0, 1), (0, 1), "CENTER")
    return Table(rows, colWidths=[side], rowHeights=[None, side], style=style, hAlign="LEFT")


def _spacer(block: Mapping[str, Any], width: float) -> Flowable:
    return Spacer(0, float(_text(block["spacer"])) * mm)


_BUILDERS: dict[str, Callable[[Mapping[str, Any], float], Flowable]] = {
    "heading": _heading,
    "kv": _kv,
    "table": _table,
    "paragraph": _paragraph,
    "note": _note,
    "spacer": _spacer,
    "image": _image,
}
_OPTIONS = {"kv": {"cols", "small"}, "image": {"label", "size", "missing"}}


def build_layout(blocks: Sequence[Mapping[str, Any]], width: float) -> Layout:
    """Returns the flowables for ``blocks`` laid out in a frame ``width`` points wide."""
    register_fonts()
    flowables: list[Flowable] = []
    statement: str | None = None
    pending_heading: Flowable | None = None
    for index, block in enumerate(blocks):
        kinds = [k for k in block if k in _BUILDERS or k == "statement"]
        extra = set(block) - set(kinds) - (_OPTIONS.get(kinds[0], set()) if kinds else set())
        if len(kinds) != 1 or extra:
            raise TemplateError(f"블록 {index}: 알 수 없는 블록입니다: {sorted(block)}")
        kind = kinds[0]
        if kind == "statement":
            statement = _text(block["statement"])
            continue
        flowable = _BUILDERS[kind](block, width)
        if kind == "heading":
            pending_heading = flowable
            continue
        if pending_heading is not None:
            # Never leave a section heading alone at the bottom of a page. KeepTogether would
            # push a long table whole to the next page, so ask only for room to start it.
            flowables += [CondPageBreak(KEEP_MIN), pending_heading, Spacer(0, 1.5 * mm)]
            pending_heading = None
        flowables += [flowable, Spacer(0, 3 * mm)]
    if pending_heading is not None:
        flowables.append(pending_heading)
    return Layout(flowables=flowables, statement=statement)
