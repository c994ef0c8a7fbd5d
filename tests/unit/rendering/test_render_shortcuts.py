"""Work done once instead of per page changes nothing on the page."""

from __future__ import annotations

import re
import secrets
from xml.sax.saxutils import escape

import pytest
from rendering_snapshots import example_snapshot
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph

from minwon.rendering.fonts import FONT_BOLD, register_fonts
from minwon.rendering.layout import BODY, CELL, CELL_HEAD, _para
from minwon.rendering.pdf import render_pdf

TEXTS = [
    "강정호",
    "전북특별자치도 전주시 완산구 효자로 225, 101동 1203호 (효자동3가, 한빛아파트 상가)",
    'a & b <c> "d"',
    "  앞뒤   공백  ",
    "탭\t과 공백",
    "2026년 11월 25일",
]


def _lines(p: Paragraph, width: float) -> tuple[float, list[str]]:
    _, height = p.wrap(width, 1000)
    lines = p.blPara.lines
    texts = []
    for line in lines:
        words = getattr(line, "words", None)
        if words is None:  # simple lines: (width, [words])
            texts.append(" ".join(line[1]))
        else:
            texts.append("".join(w.text for w in words))
    return height, texts


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("style", [CELL, CELL_HEAD, BODY], ids=["cell", "head", "body"])
@pytest.mark.parametrize("width", [40.0, 120.0, 400.0])
def test_plain_text_paragraphs_wrap_as_the_markup_parser_would(
    text: str, style: object, width: float
) -> None:
    register_fonts()
    parsed = Paragraph(escape(text), style)
    assert _lines(_para(text, style), width) == _lines(parsed, width)  # type: ignore[arg-type]


def _without_id(pdf: bytes) -> bytes:
    return re.sub(rb"\[<[0-9a-f]{32}><[0-9a-f]{32}>\]", b"", pdf)  # the file identifier


def test_a_page_made_with_kept_font_subsets_is_the_same_file() -> None:
    snapshot = example_snapshot("deungbon")
    first = render_pdf(snapshot, template="deungbon.yaml.j2", qr_text="x", token="x")
    face = pdfmetrics.getFont(FONT_BOLD).face
    kept = len(face._kept)
    again = render_pdf(snapshot, template="deungbon.yaml.j2", qr_text="x", token="x")
    assert len(face._kept) == kept  # the bold subset was reused, not made again
    assert _without_id(again) == _without_id(first)


def test_a_page_with_other_characters_gets_a_subset_of_its_own() -> None:
    register_fonts()
    face = pdfmetrics.getFont(FONT_BOLD).face
    # Syllables no other test prints, in the bold title: a subset no page has made yet.
    unique = "".join(chr(0xAC00 + secrets.randbelow(11172)) for _ in range(6))
    snapshot = dict(example_snapshot("napse"), title=f"납세증명서 {unique}")
    render_pdf(snapshot, template="napse.yaml.j2", qr_text="x", token="x")
    assert any(all(ord(ch) in key for ch in unique) for key in face._kept)
