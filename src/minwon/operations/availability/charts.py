"""The report's three charts as reportlab drawings: in the PDF as vectors, on the page as
SVG images (``svg``): downtime per day, latency per channel, the error budget burning.

Labels are set in NanumGothic (``rendering/fonts``); the caller registers the fonts.
"""

from __future__ import annotations

import base64

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from minwon.operations.availability.report import AvailabilityReport
from minwon.operations.availability.traffic import LATENCY_BOUNDS_MS
from minwon.rendering.fonts import FONT, FONT_BOLD

WIDTH, HEIGHT = 255.0, 175.0
RED = colors.HexColor("#b00020")
BLUE = colors.HexColor("#1f4e99")
GREEN = colors.HexColor("#11603a")
AMBER = colors.HexColor("#8a5a00")
GREY = colors.HexColor("#777777")


def _frame(title: str) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.add(String(8, HEIGHT - 14, title, fontName=FONT_BOLD, fontSize=10))
    return drawing


def _fonts(*axes: object) -> None:
    for axis in axes:
        axis.labels.fontName = FONT  # type: ignore[attr-defined]
        axis.labels.fontSize = 7  # type: ignore[attr-defined]


def _legend() -> Legend:
    legend = Legend()
    legend.x, legend.y = 35, HEIGHT - 26
    legend.fontName, legend.fontSize = FONT, 7
    legend.columnMaximum = 1  # side by side, under the title
    legend.deltax, legend.dx, legend.dy = 60, 6, 6
    legend.alignment = "right"
    return legend


def daily_outage(report: AvailabilityReport) -> Drawing:
    """Bars: minutes of downtime on each KST day of the period."""
    drawing = _frame("일별 장애 시간 (분)")
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 35, 30, WIDTH - 45, HEIGHT - 70
    minutes = [round(d.outage_seconds / 60, 2) for d in report.days] or [0.0]
    chart.data = [minutes]
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [
        d.day[8:] if n % max(1, len(report.days) // 15) == 0 else ""
        for n, d in enumerate(report.days)
    ] or [""]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(1.0, max(minutes) * 1.15)
    _fonts(chart.categoryAxis, chart.valueAxis)
    drawing.add(chart)
    return drawing


def latency(report: AvailabilityReport) -> Drawing:
    """Grouped bars: p50, p95 and p99 per channel (ms; past 5 s drawn at 5 s)."""
    drawing = _frame("채널별 지연 시간 (ms)")
    top = float(LATENCY_BOUNDS_MS[-1])

    def value(ms: float | None) -> float:
        return 0.0 if ms is None else min(ms, top)

    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 35, 30, WIDTH - 45, HEIGHT - 70
    chart.data = [
        [value(c.p50_ms) for c in report.channels],
        [value(c.p95_ms) for c in report.channels],
        [value(c.p99_ms) for c in report.channels],
    ]
    for n, colour in enumerate((GREEN, AMBER, RED)):
        chart.bars[n].fillColor = colour
        chart.bars[n].strokeColor = None
    chart.categoryAxis.categoryNames = [c.name for c in report.channels]
    chart.valueAxis.valueMin = 0
    highest = max((v for row in chart.data for v in row), default=0.0)
    chart.valueAxis.valueMax = max(50.0, highest * 1.15)
    _fonts(chart.categoryAxis, chart.valueAxis)
    drawing.add(chart)
    legend = _legend()
    legend.colorNamePairs = [(GREEN, "p50"), (AMBER, "p95"), (RED, "p99")]
    drawing.add(legend)
    return drawing


def budget_burn(report: AvailabilityReport) -> Drawing:
    """Lines: downtime consumed to the end of each day against the period's allowance."""
    drawing = _frame("오류 예산 소진 (분)")
    allowed = report.budget.allowed_seconds / 60
    used = [(n + 1, d.consumed_to_date / 60) for n, d in enumerate(report.days)] or [(1, 0.0)]
    chart = LinePlot()
    chart.x, chart.y, chart.width, chart.height = 35, 30, WIDTH - 45, HEIGHT - 70
    chart.data = [used, [(1, allowed), (max(1, len(report.days)), allowed)]]
    chart.lines[0].strokeColor = RED
    chart.lines[0].strokeWidth = 1.6
    chart.lines[1].strokeColor = GREY
    chart.lines[1].strokeDashArray = [3, 2]
    chart.xValueAxis.valueMin = 1
    chart.xValueAxis.valueMax = max(2, len(report.days))
    chart.yValueAxis.valueMin = 0
    chart.yValueAxis.valueMax = max(1.0, allowed, max(v for _, v in used)) * 1.15
    _fonts(chart.xValueAxis, chart.yValueAxis)
    drawing.add(chart)
    legend = _legend()
    legend.colorNamePairs = [(RED, "누적 장애"), (GREY, "허용량")]
    drawing.add(legend)
    return drawing


def all_charts(report: AvailabilityReport) -> list[Drawing]:
    return [daily_outage(report), latency(report), budget_burn(report)]


def svg(drawing: Drawing) -> str:
    """Returns the drawing as a ``data:`` URI of an SVG image (the pages' CSP allows
    ``img-src data:``, and an image's own styles are not the page's inline styles)."""
    text: str = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()
