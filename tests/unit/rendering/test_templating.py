"""Templates and filters: every catalog type renders to valid blocks from its snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from rendering_snapshots import ADDRESS, example_snapshot

from minwon.catalog.loader import default_catalog, templates_dir
from minwon.rendering.layout import build_layout
from minwon.rendering.templating import (
    TemplateError,
    docnumber,
    kdate,
    kdatetime,
    render_blocks,
    won,
    yesno,
)

TYPES = [t.code for t in default_catalog().all()]


def _cells(block: dict[str, Any]) -> list[object]:
    if "kv" in block:
        return [value for _, value in block["kv"]]
    if "table" in block:
        return [cell for row in block["table"]["rows"] or [] for cell in row]
    return list(block.values())


def test_korean_filters_format_like_a_paper_certificate() -> None:
    assert kdate("2026-11-05") == "2026년 11월 5일"
    assert kdate("2026-11-25T13:45:12+09:00") == "2026년 11월 25일"
    assert kdate(None) == ""
    assert kdatetime("2026-11-25T04:45:12+00:00") == "2026-11-25 13:45 (KST)"
    assert kdatetime("2026-11-25T23:30:00+09:00") == "2026-11-25 23:30 (KST)"
    assert docnumber("1234567890123456") == "1234-5678-9012-3456"
    assert won(1200) == "1,200원"
    assert won(0) == "0원"
    assert yesno(True) == "예"
    assert yesno(False, "포함", "미포함") == "미포함"


def test_filters_refuse_values_that_would_print_wrong() -> None:
    with pytest.raises(TemplateError):
        kdatetime("2026-11-25T13:45:12")  # no zone: KST or UTC? refuse to guess
    with pytest.raises(TemplateError):
        docnumber("1234-5678")
    with pytest.raises(TemplateError):
        won("400")


@pytest.mark.parametrize("code", TYPES)
def test_every_catalog_type_has_a_template_that_renders_its_snapshot(code: str) -> None:
    doc_type = default_catalog().get(code)
    assert doc_type is not None
    assert (templates_dir() / doc_type.template).is_file()
    blocks = render_blocks(doc_type.template, example_snapshot(code))
    layout = build_layout(blocks, 500)
    assert layout.flowables
    assert layout.statement and "증명" in layout.statement


@pytest.mark.parametrize("code", TYPES)
def test_quotes_and_colons_in_values_pass_through_unchanged(code: str) -> None:
    snapshot = example_snapshot(code)
    blocks = render_blocks(f"{code}.yaml.j2", snapshot)
    cells = [cell for block in blocks for cell in _cells(block)]
    assert ADDRESS in cells


def test_deungbon_prints_omitted_names_and_empty_history() -> None:
    snapshot = example_snapshot("deungbon")
    snapshot["past_addresses"] = []
    blocks = render_blocks("deungbon.yaml.j2", snapshot)
    tables = [b["table"] for b in blocks if "table" in b]
    members = tables[0]["rows"]
    assert [row[2] for row in members] == ["김민준", "(생략)", "(생략)"]
    assert not tables[1]["rows"]  # an empty YAML list body parses as null
    assert tables[1]["empty"] == "해당 없음"


def test_missing_snapshot_field_is_an_error_not_a_blank() -> None:
    snapshot = example_snapshot("napse")
    del snapshot["person"]
    with pytest.raises(TemplateError, match="person"):
        render_blocks("napse.yaml.j2", snapshot)


def test_unknown_block_kind_is_refused() -> None:
    with pytest.raises(TemplateError, match="알 수 없는"):
        build_layout([{"barcode": "123"}], 500)
    with pytest.raises(TemplateError):
        build_layout([{"kv": [["a", "b"]], "colour": "red"}], 500)
    with pytest.raises(TemplateError):
        build_layout([{"table": {"columns": ["a", "b"], "rows": [["only one"]]}}], 500)
