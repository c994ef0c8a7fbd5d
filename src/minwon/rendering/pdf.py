"""Renders an unsigned A4 PDF from a frozen issuance snapshot."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

from minwon.clock import KST
from minwon.issuance.probes import PROBE_PDF_KEY, PROBE_PDF_VALUE
from minwon.rendering.fonts import FONT, FONT_BOLD, register_fonts
from minwon.rendering.layout import build_layout
from minwon.rendering.seals import office_seal
from minwon.rendering.templating import docnumber, kdate, kdatetime, render_blocks

PRODUCER = "Minwon"
DEFAULT_STATEMENT = "위 내용이 원본 기록과 틀림없음을 증명합니다."
MARGIN = 16 * mm
HEADER_H = 26 * mm
FOOTER_H = 46 * mm
QR_SIZE = 34 * mm
SEAL_SIZE = 16 * mm  # the 직인, stamped over the end of the office head's title
# Choosing a QR mask means scoring all eight (segno does it in pure Python: a third of a
# page's cost). Every mask gives a valid symbol; pattern 2 is the one segno's scoring picks
# most often for Minwon's tokens, and the tests decode printed symbols with zbar.
QR_MASK = 2


def qr_symbol(text: str) -> segno.QRCode:
    """Returns the QR symbol a document prints for ``text`` (error level M, fixed mask)."""
    return segno.make(text, error="m", micro=False, boost_error=False, mask=QR_MASK)


@dataclass(frozen=True, slots=True)
class Chrome:
    """What every page shows around the body: header, footer and QR code."""

    title: str
    number: str
    issued: str
    head_title: str
    statement: str
    verify_url: str
    verifiable_until: str
    seal: ImageReader
    qr: segno.QRCode
    info: dict[str, str]
    created: datetime  # the issuance time: the document's creation and modification date
    # A probe document's mark ("시험 발급 – 법적 효력 없음"): a banner and a watermark on
    # every page (issuance/probes.py). None for every real document.
    probe_mark: str | None = None


def pdf_date(at: datetime) -> str:
    """Returns an aware time as a PDF date in KST: ``D:20261125134500+09'00'``."""
    local = at.astimezone(KST)
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return local.strftime("D:%Y%m%d%H%M%S") + f"{sign}{hours:02d}'{rest:02d}'"


class _Info(PDFInfo):  # type: ignore[misc]
    """The document info dictionary plus Minwon's own keys (/MinwonToken, /MinwonNumber),
    dated at the issuance rather than at the rendering."""

    def __init__(self, extra: Mapping[str, str], created: datetime) -> None:
        super().__init__()
        self.extra = dict(extra)
        self.created = created

    def format(self, document: Any) -> bytes:
        entries = {
            "Title": PDFString(self.title),
            "Author": PDFString(self.author),
            "Producer": PDFString(self.producer),
            "Creator": PDFString(self.creator),
            "Subject": PDFString(self.subject),
            "CreationDate": PDFString(pdf_date(self.created)),
            "ModDate": PDFString(pdf_date(self.created)),
            "Trapped": PDFName(self.trapped),
        }
        entries.update({key: PDFString(value) for key, value in self.extra.items()})
        return PDFDictionary(entries).format(document)  # type: ignore[no-any-return]


class _PagedCanvas(Canvas):  # type: ignore[misc]
    """Defers page chrome to save() so each page can print "x/y" with the final count."""

    def __init__(self, *args: Any, chrome: Chrome, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chrome = chrome
        self._pages: list[dict[str, Any]] = []
        self._doc.info = _Info(chrome.info, chrome.created)
        self._doc.info.producer = PRODUCER

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for page, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            _draw_chrome(self, self._chrome, page, total)
            Canvas.showPage(self)
        Canvas.save(self)


_DARK_RUN = re.compile(rb"\x01+")


@lru_cache(maxsize=16)
def _qr_grid(count: int, x: float, y: float, size: float) -> tuple[list[str], list[str]]:
    """Returns "x " per column and " y width module re" per (row, run length), formatted:
    the same numbers on every document of a QR version, so formatted once."""
    module = size / (count + 8)  # 4-module quiet zone on each side
    xs = [f"{x + (c + 4) * module:.3f} " for c in range(count)]
    tails = [
        f"{y + size - (r + 5) * module:.3f} {w * module:.3f} {module:.3f} re"
        for r in range(count)
        for w in range(count + 1)
    ]
    return xs, tails


def qr_operators(matrix: Sequence[Sequence[int]], x: float, y: float, size: float) -> str:
    """Returns PDF path operators filling the symbol's dark modules, one rectangle per
    horizontal run: vector modules stay sharp at any print resolution."""
    count = len(matrix)
    xs, tails = _qr_grid(count, x, y, size)
    ops = []
    for r, row in enumerate(matrix):
        base = r * (count + 1)
        for run in _DARK_RUN.finditer(bytes(row)):
            start, end = run.span()
            ops.append(xs[start] + tails[base + end - start])
    ops.append("f")
    return "\n".join(ops)


def _draw_qr(canvas: Canvas, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    # Written as literal operators: ~600 rectangles through reportlab's path object cost
    # more than the rest of the page chrome.
    canvas.setFillColor(colors.black)
    canvas.addLiteral(qr_operators(qr.matrix, x, y, size))


def _draw_chrome(canvas: Canvas, chrome: Chrome, page: int, total: int) -> None:
    width, height = A4
    left, right = MARGIN, width - MARGIN
    canvas.saveState()
    # Header: title, document number, page counter.
    canvas.setFont(FONT_BOLD, 18)
    canvas.drawCentredString(width / 2, height - MARGIN - 8 * mm, chrome.title)
    canvas.setFont(FONT, 8.5)
    rule_y = height - MARGIN - HEADER_H + 5 * mm
    canvas.drawString(left, rule_y + 2 * mm, f"문서확인번호 {docnumber(chrome.number)}")
    canvas.drawRightString(right, rule_y + 2 * mm, f"쪽 {page}/{total}")
    canvas.setStrokeColor(colors.HexColor("#333333"))
    canvas.setLineWidth(0.8)
    canvas.line(left, rule_y, right, rule_y)
    # Footer: statement, issue time, office head and seal, verification URL, QR code.
    top = MARGIN + FOOTER_H
    canvas.line(left, top, right, top)
    text_right = right - QR_SIZE - 4 * mm
    canvas.setFont(FONT_BOLD, 10.5)
    canvas.drawString(left, top - 8 * mm, chrome.statement)
    canvas.setFont(FONT, 9)
    canvas.drawString(left, top - 15 * mm, f"발급일시  {chrome.issued}")
    canvas.setFont(FONT_BOLD, 14)
    head_y = top - 26 * mm
    canvas.drawString(left, head_y, chrome.head_title)
    # The seal's left edge at the middle of the title's last character, centred on the line.
    seal_x = left + canvas.stringWidth(chrome.head_title, FONT_BOLD, 14) - 7
    seal_y = head_y + 5 - SEAL_SIZE / 2
    canvas.drawImage(
        chrome.seal, seal_x, seal_y, SEAL_SIZE, SEAL_SIZE, mask="auto", preserveAspectRatio=True
    )
    canvas.setFont(FONT, 7.5)
    canvas.drawString(left, top - 35 * mm, "이 문서는 전자서명된 문서입니다. 진위 확인:")
    canvas.drawString(left, top - 39 * mm, f"{chrome.verify_url}  (문서확인번호 입력 또는 QR 촬영)")
    canvas.drawString(left, top - 43 * mm, f"진위 확인 가능 기한: {chrome.verifiable_until}까지")
    canvas.setStrokeColor(colors.white)
    _draw_qr(canvas, chrome.qr, text_right + 4 * mm, MARGIN + 2 * mm, QR_SIZE)
    canvas.restoreState()
    if chrome.probe_mark:
        _draw_probe_mark(canvas, chrome.probe_mark)


PROBE_RED = colors.HexColor("#c00000")


def _draw_probe_mark(canvas: Canvas, mark: str) -> None:
    """Prints a probe document's mark so nobody takes the paper for a real one: a red
    banner above the title and the mark across the page, over the body."""
    width, height = A4
    canvas.saveState()
    canvas.setFillColor(PROBE_RED)
    canvas.setFont(FONT_BOLD, 11)
    canvas.drawCentredString(width / 2, height - MARGIN + 1 * mm, f"[ {mark} ]")
    canvas.setFillAlpha(0.18)
    canvas.setFont(FONT_BOLD, 40)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, 0, mark)
    canvas.restoreState()


def verifiable_until(expires_at: object) -> str:
    """Formats the end of the verification window: ``2027년 2월 23일`` when it ends at the
    end of that day (the midnight after it, as issuance sets it), else with the minute
    from which verification answers "expired" (issuance.verification.status_of)."""
    moment = datetime.fromisoformat(str(expires_at)).astimezone(KST)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return kdate(moment - timedelta(days=1))
    return f"{kdate(moment)} {moment:%H:%M}"


@lru_cache(maxsize=8)
def _seal_image(png: bytes) -> ImageReader:
    # Decoded once per image and process; reportlab keeps the pixels it read in the reader.
    return ImageReader(io.BytesIO(png))


def _probe_info(snapshot: Mapping[str, Any]) -> dict[str, str]:
    """The info-dictionary key a probe document carries, for machines (none otherwise)."""
    return {PROBE_PDF_KEY: PROBE_PDF_VALUE} if snapshot.get("probe_mark") else {}


def render_pdf(
    snapshot: Mapping[str, Any],
    *,
    template: str,
    qr_text: str,
    token: str,
    template_dir: Path | None = None,
    issued_at: datetime | None = None,
    seal: bytes | None = None,
) -> bytes:
    """Returns an unsigned A4 PDF of ``snapshot`` laid out by the catalog ``template``,
    dated ``issued_at`` (by default the snapshot's): the same input, the same bytes.

    ``seal`` is the 직인 as a PNG (checked by seals.check_seal_image); by default one is
    drawn from the office head's title."""
    register_fonts()
    blocks = render_blocks(template, snapshot, directory=template_dir)
    width, _ = A4
    layout = build_layout(blocks, width - 2 * MARGIN)
    number = str(snapshot["number"])
    office = snapshot["office"]
    chrome = Chrome(
        title=str(snapshot["title"]),
        number=number,
        issued=kdatetime(snapshot["issued_at"]),
        head_title=str(office["head_title"]),
        statement=layout.statement or DEFAULT_STATEMENT,
        verify_url=str(snapshot["verify_url"]),
        verifiable_until=verifiable_until(snapshot["expires_at"]),
        seal=_seal_image(seal or office_seal(str(office["head_title"]))),
        qr=qr_symbol(qr_text),
        info={"MinwonToken": token, "MinwonNumber": number, **_probe_info(snapshot)},
        created=issued_at or datetime.fromisoformat(str(snapshot["issued_at"])),
        probe_mark=str(snapshot["probe_mark"]) if snapshot.get("probe_mark") else None,
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_H,
        bottomMargin=MARGIN + FOOTER_H + 3 * mm,
        title=f"{snapshot['title']} {docnumber(number)}",
        author=str(office["head_title"]),
        subject=str(office["name"]),
        creator=PRODUCER,
        producer=PRODUCER,
        # No clock in the file: the /ID is then a digest of the content, not of the time.
        invariant=True,
    )
    doc.build(layout.flowables, canvasmaker=partial(_PagedCanvas, chrome=chrome))
    return out.getvalue()
