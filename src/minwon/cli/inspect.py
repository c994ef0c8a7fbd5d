"""``minwon inspect``: every readiness check of the local cluster, graded (예방점검).

Exit codes: 0 all 정상 (미구성 allowed), 1 any 주의, 2 any 위험, 4 nothing could be
inspected (no cluster at ``--root``, an unreadable thresholds file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli.plain import console, fail
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.inspection.local import local_ports
from minwon.operations.inspection.model import (
    EXIT_NOT_INSPECTED,
    Grade,
    InspectionReport,
    Thresholds,
)
from minwon.operations.inspection.report import render_html, render_pdf
from minwon.operations.inspection.suite import inspect as run_inspection
from minwon.operations.inspection.textfile import prometheus_text, write_textfile

STYLES = {
    Grade.OK: "green",
    Grade.WARN: "yellow",
    Grade.CRITICAL: "bold red",
    Grade.NOT_CONFIGURED: "dim",
}


def _table(report: InspectionReport) -> Table:
    counts = report.counts()
    table = Table(
        title=(
            f"예방점검 {report.target}: {report.grade.ko} (정상 {counts['ok']} · 주의 "
            f"{counts['warn']} · 위험 {counts['critical']} · 미구성 {counts['not_configured']})"
        )
    )
    table.add_column("점검 항목")
    table.add_column("판정", no_wrap=True)
    table.add_column("사유")
    table.add_column("조치")
    for r in report.results:
        style = STYLES[r.grade]
        table.add_row(f"{r.title}\n[dim]{r.id}[/]", f"[{style}]{r.grade.ko}[/]", r.reason, r.action)
    return table


def inspect(
    root: Annotated[
        Path, typer.Option("--root", help="클러스터 상태·로그·비밀 파일을 두는 폴더")
    ] = Path("var/cluster"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력합니다")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="HTML 보고서를 쓸 파일")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="PDF 보고서를 쓸 파일")] = None,
    thresholds_file: Annotated[
        Path | None,
        typer.Option(
            "--thresholds", help='점검 기준을 바꾸는 JSON 파일 (예: {"backup_warn_hours": 12})'
        ),
    ] = None,
    prometheus: Annotated[
        Path | None,
        typer.Option(
            "--prometheus",
            help="판정을 Prometheus 지표로 쓸 파일 (node_exporter textfile 수집기, 통째로 교체)",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--check", help="이 접두어로 시작하는 점검만 (여러 번 가능, 예: cluster.)"),
    ] = None,
) -> None:
    """모든 예방점검을 돌려 정상·주의·위험·미구성으로 판정합니다 (종료 코드 0/1/2, 점검 불가 4)."""
    try:
        thresholds = Thresholds.from_file(thresholds_file) if thresholds_file else Thresholds()
    except (OSError, ValueError) as exc:
        fail(f"점검 기준 파일을 읽을 수 없습니다: {exc}", "inspect.thresholds", EXIT_NOT_INSPECTED)
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(
            f"{root}에 클러스터 상태가 없어 점검할 수 없습니다 (`minwon cluster up` 또는 --root).",
            "inspect.no_cluster",
            EXIT_NOT_INSPECTED,
        )
    view, records, host = local_ports(cluster, thresholds)
    with console.status("예방점검 중..."):
        report = run_inspection(
            cluster=view,
            records=records,
            host=host,
            thresholds=thresholds,
            target=str(root),
            only=tuple(only or ()),
        )
    if html is not None:
        html.write_text(render_html(report), encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(render_pdf(report))
    if prometheus is not None:
        write_textfile(prometheus, prometheus_text(report))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        console.print(_table(report))
        for path in (html, pdf, prometheus):
            if path is not None:
                console.print(f"보고서: {path}", highlight=False)
    raise typer.Exit(report.exit_code)
