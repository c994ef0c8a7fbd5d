"""Verification's view of a document: the template's blocks in the paper's order and
words, whole 주민등록번호 masked in text; page images made once per document (LRU)."""

from __future__ import annotations

import threading

import pytest
from rendering_snapshots import ADDRESS, document_types, example_snapshot

from minwon.catalog.loader import default_catalog
from minwon.rendering.preview import (
    DocumentView,
    PageImages,
    RasterError,
    document_view,
    page_count,
    rasterise,
)


def _view(document_type: str) -> DocumentView:
    snapshot = example_snapshot(document_type)
    document = default_catalog().get(document_type)
    assert document is not None
    return document_view(snapshot, template=document.template)


def test_every_type_gives_blocks_in_the_papers_order_ending_with_its_statement() -> None:
    for document_type in document_types():
        view = _view(document_type)
        assert view.blocks, document_type
        kinds = {b["kind"] for b in view.blocks}
        assert kinds <= {"kv", "heading", "table", "paragraph", "note"}
        assert view.statement.endswith("증명합니다.")


def test_the_deungbon_shows_the_address_as_printed_and_masks_whole_numbers() -> None:
    snapshot = example_snapshot("deungbon")
    snapshot["members"][0]["rrn"] = "850302-1234567"
    document = default_catalog().get("deungbon")
    assert document is not None
    view = document_view(snapshot, template=document.template)
    first = view.blocks[0]
    assert first["kind"] == "kv" and ["주소", ADDRESS] in first["pairs"]
    table = next(b for b in view.blocks if b["kind"] == "table")
    assert table["columns"][:3] == ["번호", "세대주와의 관계", "성명"]
    assert "850302-1******" in table["rows"][0] and view.numbers_masked
    assert "1234567" not in str(view.blocks)


def test_page_images_are_made_once_and_the_oldest_is_forgotten() -> None:
    made: list[bytes] = []

    def raster(pdf: bytes) -> tuple[bytes, ...]:
        made.append(pdf)
        return (pdf + b"-1",)

    cache = PageImages(size=2, raster=raster)
    assert cache.get("a", lambda: b"A") == (b"A-1",)
    assert cache.get("a", lambda: b"never") == (b"A-1",)
    cache.get("b", lambda: b"B")
    cache.get("c", lambda: b"C")  # "a" is the least recently used: forgotten
    cache.get("a", lambda: b"A")
    assert made == [b"A", b"B", b"C", b"A"]


def test_many_asking_at_once_make_a_document_once() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def raster(pdf: bytes) -> tuple[bytes, ...]:
        calls.append(1)
        gate.wait(2)
        return (pdf,)

    cache = PageImages(raster=raster)
    threads = [threading.Thread(target=cache.get, args=("k", lambda: b"P")) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1]


def test_a_page_count_reads_the_pdf_once_and_draws_nothing() -> None:
    drawn: list[bytes] = []
    read: list[int] = []

    def pdf() -> bytes:
        read.append(1)
        return b"P"

    def draw(data: bytes) -> tuple[bytes, ...]:
        drawn.append(data)
        return (b"1", b"2")

    cache = PageImages(raster=draw, counter=len)
    assert cache.count("k", pdf) == 1 and cache.count("k", pdf) == 1
    assert read == [1] and drawn == []
    assert cache.get("k", pdf) == (b"1", b"2")
    assert cache.count("k", pdf) == 2  # the images, once drawn, say it


def test_nobody_waits_long_behind_another_documents_rasterising() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(pdf: bytes) -> tuple[bytes, ...]:
        started.set()
        release.wait(5)
        return (pdf,)

    cache = PageImages(raster=slow, wait_seconds=0.05)
    worker = threading.Thread(target=cache.get, args=("a", lambda: b"A"))
    worker.start()
    started.wait(5)
    with pytest.raises(RasterError):
        cache.get("b", lambda: b"B")
    release.set()
    worker.join()
    assert cache.get("a", lambda: b"never") == (b"A",)


def test_pdftoppm_draws_each_page_of_a_real_pdf() -> None:
    from minwon.rendering.pdf import render_pdf

    document = default_catalog().get("chobon")
    assert document is not None
    pdf = render_pdf(example_snapshot("chobon"), template=document.template, qr_text="x", token="t")
    pages = rasterise(pdf)
    assert page_count(pdf) == len(pages) >= 1
    assert all(p.startswith(b"\x89PNG") for p in pages)
    with pytest.raises(RasterError):
        rasterise(b"%PDF-1.7 not really")
