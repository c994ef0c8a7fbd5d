"""``minwon report availability``: the availability report of a month or a run of days.

Reads the incidents and the traffic minutes from the database of ``MINWON_DATABASE_URL``
(the embedded SQLite of ``make run`` by default, or a cluster's PostgreSQL) and writes a
Korean PDF with charts, and on request an HTML page and JSON. Exit codes: 0 written,
1 the database could not be read, 2 nothing to report on (a bad or future period, no
database).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine.url import make_url

from minwon.adapters.database import make_engine
from minwon.cli.common import settings as load_settings
from minwon.cli.plain import console, fail
from minwon.operations.availability.html import render_html
from minwon.operations.availability.pdf import render_pdf
from minwon.operations.availability.period import Period, PeriodError, choose
from minwon.operations.availability.report import AvailabilityReport
from minwon.operations.availability.sql import read_report
from minwon.operations.availability.text import view
from minwon.operations.incidents.store import StoreUnavailableError

app = typer.Typer(help="보고서: 채널별 가용성 보고서 (PDF·HTML·JSON).", no_args_is_help=True)


def default_file(period: Period) -> Path:
    """Returns ``availability-2026-11.pdf`` (or ``availability-2026-11-03_2026-11-09.pdf``)."""
    return Path(f"availability-{period.label.replace(' ~ ', '_')}.pdf")


def _summary(report: AvailabilityReport) -> Table:
    shown = view(report)
    h = shown["head"]
    table = Table(
        title=(
            f"가용성 보고서 {h['period']} · 목표 {h['target']} · 장애 {h['incidents']} · "
            f"오류 예산 남음 {h['remaining']}"
        )
    )
    for column in ("채널", "가용률", "장애 시간", "요청 성공률", "발급량", "p50", "p95", "p99"):
        table.add_column(column)
    for c in shown["channels"]:
        table.add_row(
            c["name"],
            c["availability"],
            c["outage"],
            c["success"],
            c["volume"],
            c["p50"],
            c["p95"],
            c["p99"],
        )
    return table


@app.command("availability")
def availability(
    month: Annotated[
        str | None, typer.Option("--month", help="보고할 달 (KST, 예: 2026-11; 기본: 지난달)")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="시작 날짜 (KST, YYYY-MM-DD, 포함)")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="끝 날짜 (KST, YYYY-MM-DD, 포함)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="PDF를 쓸 파일 (기본: availability-<기간>.pdf)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력합니다")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="HTML 보고서를 쓸 파일")] = None,
) -> None:
    """채널별 가용률·장애·발급량·지연 시간·오류 예산을 한국어 PDF(그래프 포함)로 씁니다.

    --json이나 --html만 주면 PDF는 --out을 줄 때만 씁니다.
    """
    settings = load_settings()
    now = time.time()
    try:
        period = choose(month_text=month, first=first, last=last, now=now)
    except PeriodError as exc:
        fail(exc.message, exc.code, 2)
    database = make_url(settings.database.url).database
    if settings.is_sqlite and database and database != ":memory:" and not Path(database).exists():
        fail(
            f"데이터베이스가 없습니다: {database}. 먼저 `minwon init`을 실행하세요.",
            "database.missing",
            2,
        )
    engine = make_engine(settings.database.url, pool_size=1)
    try:
        report = read_report(engine, period, target=settings.availability_target, now=now)
    except StoreUnavailableError as exc:
        reason = str(exc).splitlines()[0][:200]
        fail(
            f"데이터베이스에서 장애·요청 기록을 읽지 못했습니다 ({reason}). "
            "스키마가 최신인지(`minwon db status`) 확인하세요.",
            "report.database",
            1,
        )
    finally:
        engine.dispose()
    pdf = out if out is not None or as_json or html is not None else default_file(period)
    if pdf is not None:
        pdf.write_bytes(render_pdf(report))
    if html is not None:
        html.write_text(render_html(report), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    console.print(_summary(report))
    for path in (pdf, html):
        if path is not None:
            console.print(f"보고서: {path}", highlight=False)
