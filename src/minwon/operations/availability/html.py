"""The availability report as HTML: a whole page (``--html``) or the section the operators'
``/ops`` page sets in the site's layout. Jinja2 with autoescape: incident details and
operators' notes are printed as text. The charts are the PDF's, as SVG images."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from minwon.operations.availability.charts import all_charts, svg
from minwon.operations.availability.pdf import title_of
from minwon.operations.availability.report import AvailabilityReport
from minwon.operations.availability.text import BASIS_KO, view
from minwon.rendering.fonts import register_fonts

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
ALT = ("일별 장애 시간 막대 그래프", "채널별 지연 시간 막대 그래프", "오류 예산 소진 선 그래프")


def _context(report: AvailabilityReport, tag: str) -> dict[str, object]:
    register_fonts()  # the charts measure their labels in NanumGothic
    charts = [{"src": svg(d), "alt": alt} for d, alt in zip(all_charts(report), ALT, strict=True)]
    return {
        **view(report),
        "title": title_of(report),
        "tag": tag,
        "charts": charts,
        "basis": BASIS_KO,
    }


def render_html(report: AvailabilityReport) -> str:
    """Returns the report as a whole Korean HTML page."""
    return _ENV.get_template("report.html.j2").render(**_context(report, "h1"))


def render_section(report: AvailabilityReport) -> Markup:
    """Returns the report as a ``<section>`` for a page of the site (headed ``h2``)."""
    return Markup(_ENV.get_template("_body.html.j2").render(**_context(report, "h2")))
