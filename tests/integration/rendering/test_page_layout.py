"""A long document flows over pages, each with header, page counter and footer."""

from __future__ import annotations

import io
import secrets
import subprocess
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from rendering_snapshots import example_snapshot
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from minwon.rendering.pdf import MARGIN, QR_SIZE, qr_symbol, render_pdf
from support.binaries import require


def test_long_household_spans_pages_with_counter_and_footer_on_each(tmp_path: Path) -> None:
    snapshot = example_snapshot("deungbon")
    member = snapshot["members"][1]
    snapshot["members"] = [dict(member, name=f"구성원{i:02d}") for i in range(70)]
    pdf = render_pdf(snapshot, template="deungbon.yaml.j2", qr_text="MW1.test", token="MW1.test")
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [require("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"쪽 {number}/{len(pages)}" in page
        assert "4821-0937-5610-2394" in page
        assert "이 등본은 주민등록표의 원본 내용과 틀림없음을 증명합니다." in page
        assert "세대주와의 관계" in page  # the column header repeats on every page
    assert "구성원00" in pages[0] and "구성원69" in pages[-1]


def test_info_dictionary_carries_title_producer_token_and_number() -> None:
    snapshot = example_snapshot("geonchuk")
    pdf = render_pdf(snapshot, template="geonchuk.yaml.j2", qr_text="x", token="MW1.abc_-")
    info = PdfFileReader(io.BytesIO(pdf)).trailer_view["/Info"]
    assert info["/MinwonToken"] == "MW1.abc_-"
    assert info["/MinwonNumber"] == snapshot["number"]
    assert info["/Producer"] == "Minwon"
    assert info["/Title"] == "일반건축물대장 (갑) 4821-0937-5610-2394"
    assert info["/Author"] == "전주시 완산구 중앙동장"


def _gray_image(pdf: bytes, tmp_path: Path, dpi: int) -> tuple[int, int, bytes]:
    pdftoppm = require("pdftoppm")
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "page.pdf"), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    data = (tmp_path / "page.pgm").read_bytes()
    magic, width, height, _, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    return int(width), int(height), pixels


def test_printed_qr_modules_match_the_encoded_symbol(tmp_path: Path) -> None:
    qr_text = "http://127.0.0.1:8000/verify?t=MW1." + "AbC-_9" * 25
    pdf = render_pdf(
        example_snapshot("ingam"), template="ingam.yaml.j2", qr_text=qr_text, token="MW1.x"
    )
    dpi = 300
    width, _, pixels = _gray_image(pdf, tmp_path, dpi)
    matrix = qr_symbol(qr_text).matrix
    page_w, page_h = A4
    module = QR_SIZE / (len(matrix) + 8)
    left, bottom = page_w - MARGIN - QR_SIZE, MARGIN + 2 * mm

    def dark(row: int, col: int) -> bool:
        # Sample the centre of a module; rows and columns include the 4-module quiet zone.
        x = left + (col + 4.5) * module
        y = bottom + QR_SIZE - (row + 4.5) * module
        px, py = round(x * dpi / 72), round((page_h - y) * dpi / 72)
        return pixels[py * width + px] < 128

    size = len(matrix)
    printed = [[dark(r, c) for c in range(size)] for r in range(size)]
    assert printed == [[bool(v) for v in row] for row in matrix]
    quiet = [dark(-2, c) for c in range(-2, size + 2)] + [dark(r, -2) for r in range(size)]
    assert not any(quiet)


def test_printed_qr_codes_decode_with_a_real_reader_whatever_the_token(tmp_path: Path) -> None:
    # The mask is fixed (not scored per symbol): a real decoder must read every page's code.
    zbarimg = require("zbarimg")
    for n in range(12):
        qr_text = "http://127.0.0.1:8000/verify?t=MW1." + secrets.token_urlsafe(96 + n)
        pdf = render_pdf(
            example_snapshot("deungbon"), template="deungbon.yaml.j2", qr_text=qr_text, token="x"
        )
        _gray_image(pdf, tmp_path, 150)
        found = subprocess.run(
            [zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page.pgm")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert found.stdout.strip() == qr_text, found.stderr
