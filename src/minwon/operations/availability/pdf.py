"""The availability report as a Korean PDF (A4, NanumGothic) with its charts.

Set with reportlab as the inspection report is (``operations/inspection/report.py``):
title "가용성 보고서", the period and target, the per-channel table, the three charts, the
incidents, the figures by cause and how each number is made (산정 기준).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from minwon.operations.availability.charts import all_charts
from minwon.operations.availability.report import AvailabilityReport
from minwon.operations.availability.text import BASIS_KO, view
from minwon.rendering.fonts import FONT, FONT_BOLD, register_fonts

RED = colors.HexColor("#b00020")
GRID = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


def title_of(report: AvailabilityReport) -> str:
    """Returns the document's title (also its PDF metadata title)."""
    return f"가용성 보고서 {report.period.label}"


def render_pdf(report: AvailabilityReport) -> bytes:
    """Returns the report as a PDF (A4 landscape)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD)
    section = ParagraphStyle("section", fontName=FONT_BOLD, fontSize=11.5, leading=16)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=16, leading=22)
    shown = view(report)
    h = shown["head"]

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        cells: list[list[Any]] = [[p(t, head) for t in rows[0]]]
        cells += [[p(t) for t in row] for row in rows[1:]]
        made = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
        made.setStyle(TableStyle(GRID))
        return made

    remaining = (
        ParagraphStyle("remaining", parent=head, textColor=RED) if shown["overspent"] else head
    )
    story: list[Any] = [
        Paragraph("가용성 보고서", title),
        p(f"기간: {h['period']} · {h['range']}"),
        p(f"목표 가용률: {h['target']} · 장애 시간: {h['outage']} · 장애 {h['incidents']}"),
        p(
            f"오류 예산: 허용 {h['allowed']} · 사용 {h['consumed']} · 남음 {h['remaining']}",
            remaining,
        ),
        p(f"작성: {h['generated']} KST"),
        Spacer(1, 4 * mm),
        p("채널별 가용성", section),
    ]
    rows = [
        [
            "채널",
            "가용률",
            "장애 시간",
            "요청 성공률",
            "요청",
            "실패",
            "발급량",
            "p50",
            "p95",
            "p99",
            "남은 예산",
        ]
    ]
    rows += [
        [
            c["name"],
            c["availability"],
            c["outage"],
            c["success"],
            c["requests"],
            c["failed"],
            c["volume"],
            c["p50"],
            c["p95"],
            c["p99"],
            c["remaining"],
        ]
        for c in shown["channels"]
    ]
    story.append(table(rows, [30, 24, 24, 24, 20, 16, 20, 20, 20, 20, 26]))
    story.append(Spacer(1, 4 * mm))
    charts = all_charts(report)
    story.append(Table([charts], colWidths=[92 * mm] * 3))
    story += [Spacer(1, 4 * mm), p(f"장애 목록 ({h['incidents']})", section)]
    if shown["incidents"]:
        rows = [
            [
                "구성요소",
                "증상",
                "원인 분류",
                "시작 (KST)",
                "지속",
                "복구 시간",
                "발급 공백",
                "장애 시간 산입",
                "메모",
            ]
        ]
        rows += [
            [
                f"{i['component']}\n{i['id']}",
                i["symptom"] + (f" ({i['detail']})" if i["detail"] else ""),
                i["cause"],
                i["started"],
                i["duration"],
                i["recovery"],
                i["gap"],
                f"{i['downtime']} · {i['counted']}",
                "\n".join(i["notes"]) or "-",
            ]
            for i in shown["incidents"]
        ]
        story.append(table(rows, [28, 48, 32, 26, 18, 18, 18, 38, 48]))
    else:
        story.append(p("이 기간에 기록된 장애가 없습니다."))
    if shown["causes"]:
        rows = [["원인 분류", "건수", "평균 복구 시간 (MTTR)", "장애 시간"]]
        rows += [[c["name"], c["count"], c["mttr"], c["downtime"]] for c in shown["causes"]]
        story += [Spacer(1, 4 * mm)]
        story.append(KeepTogether([p("원인 분류별", section), table(rows, [70, 20, 45, 45])]))
    basis = [p(f"{n}. {line}") for n, line in enumerate(BASIS_KO, start=1)]
    story += [Spacer(1, 4 * mm), KeepTogether([p("산정 기준", section), *basis])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title_of(report),
        author="Minwon",
        subject="채널별 가용률, 장애, 발급량, 지연 시간, 오류 예산",
    )
    doc.build(story)
    return out.getvalue()
