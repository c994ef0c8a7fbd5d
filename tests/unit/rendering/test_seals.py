"""Seal images: the characters' layout, the drawn 직인, and what a city's own image must be."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from minwon.rendering.seals import (
    MAX_SEAL_PX,
    SealImageError,
    check_seal_image,
    columns,
    load_seal_image,
    office_seal,
    office_seal_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("김민준인", ["김민", "준인"]),  # read from the right column, top to bottom
        ("전주시장인", ["전주시", "장인"]),
        ("전주시 완산구 중앙동장인", ["전주시완", "산구중앙", "동장인"]),
        ("인", ["인"]),
    ],
)
def test_characters_fill_columns_from_the_right(text: str, expected: list[str]) -> None:
    assert columns(text) == expected


def test_a_seal_needs_characters() -> None:
    with pytest.raises(SealImageError):
        columns("   ")


def test_the_office_seal_reads_the_head_title_and_is_the_same_every_time() -> None:
    assert office_seal_text("전주시 완산구 중앙동장") == "전주시완산구중앙동장인"
    first = office_seal("전주시장")
    office_seal.cache_clear()
    assert office_seal("전주시장") == first  # drawn again, byte for byte the same
    with Image.open(io.BytesIO(first)) as image:
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)  # see-through around red strokes
    assert office_seal("전주시 덕진구청장") != first


def _png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 0, 0, 255) if mode == "RGBA" else 0).save(out, format="PNG")
    return out.getvalue()


def test_a_city_image_of_a_printable_size_is_kept_as_it_is() -> None:
    png = _png((120, 118))
    assert check_seal_image(png) == png


def test_a_large_city_image_is_scaled_down_to_stay_small() -> None:
    checked = check_seal_image(_png((1600, 1200)))
    with Image.open(io.BytesIO(checked)) as image:
        assert max(image.size) == MAX_SEAL_PX and image.size[1] == MAX_SEAL_PX * 3 // 4


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        _png((64, 64))[:-30],  # cut short
        _png((4, 4)),  # too small to be a seal
    ],
    ids=["empty", "text", "truncated", "tiny"],
)
def test_what_is_not_a_printable_png_is_refused(data: bytes) -> None:
    with pytest.raises(SealImageError):
        check_seal_image(data)


def test_another_format_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 0, 0)).save(out, format="JPEG")
    with pytest.raises(SealImageError):
        check_seal_image(out.getvalue())
    with pytest.raises(SealImageError):
        load_seal_image(tmp_path / "missing.png")


def test_a_png_in_a_mode_the_pdf_cannot_take_is_converted() -> None:
    out = io.BytesIO()
    Image.new("I;16", (64, 64), 40_000).save(out, format="PNG")  # 16-bit grey
    checked = check_seal_image(out.getvalue())
    with Image.open(io.BytesIO(checked)) as image:
        assert image.mode == "RGBA" and image.size == (64, 64)
