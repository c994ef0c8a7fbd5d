"""The inspection report in Korean: an HTML page (Jinja2) and a PDF of the same table.

The PDF is set with reportlab in NanumGothic, as documents are (``rendering/fonts``);
the HTML escapes everything it prints (autoescape), reasons included.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from minwon.clock import KST
from minwon.operations.inspection.model import Grade, InspectionReport
from minwon.rendering.fonts import FONT, FONT_BOLD, register_fonts

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "j2"]),
    keep_trailing_newline=True,
)
COLOURS = {
    Grade.OK: colors.HexColor("#11603a"),
    Grade.WARN: colors.HexColor("#8a5a00"),
    Grade.CRITICAL: colors.HexColor("#b00020"),
    Grade.NOT_CONFIGURED: colors.HexColor("#555555"),
}


def _context(report: InspectionReport) -> dict[str, Any]:
    data = report.to_dict()
    data["started"] = report.started_at.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")
    return data


def render_html(report: InspectionReport) -> str:
    """Returns the report as a Korean HTML page."""
    return _ENV.get_template("report.html.j2").render(**_context(report))


def render_pdf(report: InspectionReport) -> bytes:
    """Returns the report as a PDF (A4 landscape, NanumGothic)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=20)
    data = _context(report)
    counts = data["counts"]
    story: list[Any] = [
        Paragraph("예방점검 보고서", title),
        Paragraph(
            escape(
                f"대상: {report.target} · 점검 시각: {data['started']} · 소요 {data['seconds']}초"
            ),
            body,
        ),
        Paragraph(
            escape(
                f"종합 판정: {report.grade.ko} (정상 {counts['ok']} · 주의 {counts['warn']} · "
                f"위험 {counts['critical']} · 미구성 {counts['not_configured']})"
            ),
            head,
        ),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[Any]] = [[Paragraph(t, head) for t in ("점검 항목", "판정", "사유", "조치")]]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for n, r in enumerate(report.results, start=1):
        grade = ParagraphStyle(f"g{n}", parent=head, textColor=COLOURS[r.grade])
        rows.append(
            [
                Paragraph(f"{escape(r.title)}<br/><font size=7>{escape(r.id)}</font>", body),
                Paragraph(r.grade.ko, grade),
                Paragraph(escape(r.reason), body),
                Paragraph(escape(r.action), body),
            ]
        )
    table = Table(rows, colWidths=[55 * mm, 16 * mm, 110 * mm, 85 * mm], repeatRows=1)
    table.setStyle(TableStyle(style))
    story.append(table)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title="예방점검 보고서",
    )
    doc.build(story)
    return out.getvalue()
