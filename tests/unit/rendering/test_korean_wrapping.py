"""Korean never breaks inside a word: every line of every cell ends where the text has a space.

reportlab's "CJK" wrapping breaks between any two syllables (a label came out as "다" /
"른"). Each document type is laid out here with long, realistic values (every item on,
the longest addresses the demo data makes) and every wrapped paragraph is read back from
the lines reportlab laid out.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from rendering_snapshots import ADDRESS, document_types, example_snapshot
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, Paragraph, Table

from minwon.catalog.loader import default_catalog
from minwon.demo.households import HouseholdGenerator
from minwon.issuance.snapshot import selections
from minwon.registry.vault import RrnVault
from minwon.rendering.layout import CELL_HEAD, CELL_PADDING, _cell, build_layout
from minwon.rendering.pdf import MARGIN, render_pdf
from minwon.rendering.templating import render_blocks
from support.binaries import require

FRAME = A4[0] - 2 * MARGIN


@lru_cache(maxsize=1)
def demo_addresses() -> tuple[str, ...]:
    """The longest addresses of a small demo registry (seed 1), longest first."""
    gen = HouseholdGenerator(
        seed=1, vault=RrnVault(b"d" * 32, b"pepper-for-tests"), today=date(2026, 11, 1)
    )
    for _ in range(120):
        gen.household(gen.household_size())
    rows = gen.drain()["address_history"]
    found = sorted({str(r["address"]) for r in rows}, key=lambda a: (-len(a), a))
    return tuple(found[:12])


def _all_items(code: str) -> dict[str, Any]:
    document = default_catalog().get(code)
    assert document is not None
    items: dict[str, Any] = {}
    for item in document.items:
        if item.kind == "flag":
            items[item.code] = True
        else:  # the choice that prints the most
            items[item.code] = "all" if "all" in dict(item.choices) else item.choices[-1][0]
    return items


def long_snapshot(code: str) -> dict[str, Any]:
    """An example snapshot of ``code`` with every item on and long values everywhere."""
    addresses = demo_addresses()
    snapshot = example_snapshot(code)
    document = default_catalog().get(code)
    assert document is not None
    snapshot["items"] = _all_items(code)
    snapshot["selections"] = selections(document, snapshot["items"])
    snapshot["purpose"] = (
        "부동산 매매 계약에 따른 소유권 이전 등기 신청 및 금융기관 대출 심사 제출용"
    )
    snapshot["print_purpose"] = True
    if code == "deungbon":
        snapshot["household"]["address"] = addresses[0]
        snapshot["household"]["formation_reason"] = "세대 합가에 따른 세대주 변경"
        member = snapshot["members"][0]
        snapshot["members"] = [
            dict(member, relation=r, name=n, change_reason=c)
            for r, n, c in [
                ("본인", "남궁민준", "전입"),
                ("배우자", "황보서연", "혼인에 따른 전입"),
                ("자", "남궁하은", "출생등록"),
                ("동거인", "제갈지훈", "동거인 전입 신고"),
                ("외국인 배우자", "응웬티투하", "외국인 배우자 등록"),
            ]
        ]
        snapshot["past_addresses"] = [
            {"address": a, "moved_in_on": f"20{10 + i:02d}-03-02", "reason": "전입"}
            for i, a in enumerate(addresses[1:7])
        ]
    elif code == "chobon":
        snapshot["person"]["name"] = "남궁민준"
        snapshot["personal_changes"] = [
            {
                "on": "2010-09-01",
                "what": "성명 정정 (남궁민중 → 남궁민준) 가족관계등록부 정정에 따름",
            }
        ]
        snapshot["addresses"] = [
            {
                "seq": i + 1,
                "address": a,
                "moved_in_on": f"20{10 + i:02d}-03-02",
                "reason": "주소 정정" if i % 3 == 2 else "전입",
                "head_name": "남궁정호",
                "head_relation": "세대주의 배우자의 직계혈족",
            }
            for i, a in enumerate(addresses[:8])
        ]
        snapshot["military_service"] = (
            "육군 병장 만기 전역 (2012년 3월 5일 입영, 2014년 12월 4일 전역)"
        )
    elif code == "ingam":
        snapshot["person"]["address"] = addresses[0]
        snapshot["buyer"]["address"] = addresses[1]
        snapshot["seal"]["description"] = (
            "원형, 지름 15mm, 성명 3자와 인 자를 새긴 한글 전서체 인감"
        )
    elif code == "napse":
        snapshot["person"]["address"] = addresses[0]
        snapshot["purpose_label"] = "해외 이주 신고 및 부동산 신탁 계약 체결"
    elif code == "geonchuk":
        snapshot["building"].update(
            address=addresses[0],
            main_use="제2종근린생활시설(일반음식점) 및 단독주택(다가구주택)",
            structure="철근콘크리트구조 및 일반철골구조 (지붕: 철근콘크리트 평슬래브)",
            owner_name="주식회사 전주한옥마을관광개발 외 3인",
        )
    return snapshot


def _line_texts(paragraph: Paragraph) -> list[str]:
    texts = []
    for line in paragraph.blPara.lines:
        words = getattr(line, "words", None)
        if words is None:  # a simple line: (spare width, [words])
            texts.append(" ".join(line[1]))
        else:  # a line of fragments (markup, <br/>)
            texts.append("".join(w.text for w in words))
    return texts


def _spare(paragraph: Paragraph) -> list[float]:
    return [
        line[0] if isinstance(line, tuple) else line.extraSpace for line in paragraph.blPara.lines
    ]


def _laid_out(flowables: list[Flowable]) -> Iterator[tuple[Paragraph | str, float]]:
    """Yields every paragraph and string cell of the body with the width it was given."""
    for flowable in flowables:
        flowable.wrap(FRAME, 10_000)
        if isinstance(flowable, Paragraph):
            yield flowable, FRAME
        elif isinstance(flowable, Table):
            widths = flowable._colWidths
            spans = getattr(flowable, "_spanRanges", None) or {}
            for r, row in enumerate(flowable._cellvalues):
                for c, cell in enumerate(row):
                    span = spans.get((c, r), (c, r, c, r))
                    if span is None:
                        continue  # covered by a spanning cell
                    width = sum(widths[span[0] : span[2] + 1]) - 2 * CELL_PADDING
                    # The table holds a paragraph cell as a tuple of flowables.
                    for item in cell if isinstance(cell, tuple | list) else [cell]:
                        if isinstance(item, Paragraph | str):
                            yield item, width


def _source(paragraph: Paragraph) -> str:
    return "".join(f.text for f in paragraph.frags)


@pytest.mark.parametrize("code", document_types())
def test_every_line_of_every_cell_breaks_at_a_space(code: str) -> None:
    blocks = render_blocks(f"{code}.yaml.j2", long_snapshot(code))
    wrapped = 0
    for cell, width in _laid_out(build_layout(blocks, FRAME).flowables):
        if isinstance(cell, str):  # one line, measured to fit when the cell was made
            continue
        cell.wrap(width, 10_000)  # as the table does when it draws the cell
        lines = _line_texts(cell)
        source = _source(cell)
        # Joined by single spaces, the lines are the text itself: no break inside a word.
        assert " ".join(" ".join(t.split()) for t in lines) == " ".join(source.split()), lines
        assert all(spare >= -0.01 for spare in _spare(cell)), (source, _spare(cell))
        wrapped += len(lines) > 1
    assert wrapped >= 2  # the long values did wrap


def test_the_demo_addresses_are_long_enough_to_wrap() -> None:
    longest = demo_addresses()[0]
    assert len(longest) >= len("전북특별자치도 전주시 완산구 기린대로 100, 101동 101호")
    assert ADDRESS not in demo_addresses()  # the demo's own, not the example's


@pytest.mark.parametrize("text", ["교부 대상자 외 다른 세대원의 이름", "주민등록번호 뒷자리"])
def test_a_narrow_label_wraps_between_its_words(text: str) -> None:
    cell = _cell(text, CELL_HEAD, 50.0)
    assert isinstance(cell, Paragraph)
    cell.wrap(50.0 - 2 * CELL_PADDING, 1000)
    lines = _line_texts(cell)
    assert len(lines) >= 2
    assert [w for t in lines for w in t.split()] == text.split()


def test_a_word_wider_than_its_column_shrinks_instead_of_splitting() -> None:
    word = "세대주와의관계및변동사유"
    cell = _cell(word, CELL_HEAD, 60.0)
    assert isinstance(cell, Paragraph)
    assert cell.style.fontSize < CELL_HEAD.fontSize
    cell.wrap(60.0 - 2 * CELL_PADDING, 1000)
    assert _line_texts(cell) == [word]
    assert _spare(cell)[0] >= -0.01
    # Other cells keep their size: only the cell that needs it is smaller.
    assert _cell("성명", CELL_HEAD, 60.0) == "성명"
    roomy = _cell("세대주와의 관계 및 변동 사유를 적은 칸", CELL_HEAD, 60.0)
    assert isinstance(roomy, Paragraph) and roomy.style.fontSize == CELL_HEAD.fontSize


@pytest.mark.parametrize("code", document_types())
def test_the_printed_text_keeps_every_label_word_whole(code: str, tmp_path: Path) -> None:
    snapshot = long_snapshot(code)
    pdf = render_pdf(snapshot, template=f"{code}.yaml.j2", qr_text="x", token="x")
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [require("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = {w for label, _ in snapshot["selections"] for w in label.split() if len(w) > 1}
    assert words and not {w for w in words if w not in text}
