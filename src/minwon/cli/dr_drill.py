"""``minwon dr drill``: a point-in-time restore into a scratch instance that proves itself
(``operations/backup/drill.py``); registered on ``minwon dr`` by ``cli/dr.py``.

Exit codes: 0 the copy was proved exact; 1 it was not, or the drill could not run; 2
refused before anything started (TIME unreadable, in the future, before every backup; no
backup; no cluster).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer
from rich.table import Table

from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.operations.backup.drill import DrillError, DrillReport, parse_target, run_drill
from minwon.operations.cluster.drills import drill_parts
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.local import LocalCluster

# Refused before anything started: the request, not the system, was wrong.
REFUSALS = {"dr.time", "dr.future", "dr.no_backup", "dr.before_backups"}


def _refuse(exc: DrillError, as_json: bool) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"outcome": "refused", "code": exc.code, "detail": exc.detail}))
    fail(exc.detail, exc.code, 2 if exc.code in REFUSALS else 1)


def _table(report: DrillReport) -> Table:
    table = Table(title=f"복구 훈련 {report.id[:8]}: {report.target.isoformat()} 시점")
    columns = ("표", "기대(시각 이전 커밋)", "시각 이후 커밋", "복원", "누락", "초과", "내용 다름")
    for column in columns:
        table.add_column(column, justify="right")
    for p in report.proofs:
        table.add_row(
            p.table,
            f"{p.expected:,}",
            f"{p.later:,}",
            f"{p.restored:,}",
            str(p.missing),
            str(p.extra),
            str(p.changed),
        )
    return table


def drill(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="복구할 시각, ISO 8601 (예: 2026-12-04T09:30:00+09:00, 2026-12-04T00:30:00Z). "
            "오프셋이 없으면 이 컴퓨터의 시간대(TZ)로 읽습니다.",
        ),
    ],
    root: RootOption = DEFAULT_ROOT,
    as_json: Annotated[bool, typer.Option("--json", help="결과를 JSON으로 출력")] = False,
) -> None:
    """백업을 임시 인스턴스에 복원해 TIME까지 재생하고, 그 시각까지 커밋된 발급·수수료·
    감사 기록이 모두 있고 그 뒤 것은 하나도 없음을 운영 DB와 대조해 증명한 뒤 기록합니다."""
    try:
        target = parse_target(to, local=datetime.now().astimezone().tzinfo or UTC)
    except DrillError as exc:
        _refuse(exc, as_json)
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(f"{root}에 클러스터 상태가 없습니다 (`minwon cluster up`).", "cluster.none", 2)
    try:
        with drill_parts(cluster) as parts:
            if not as_json:
                console.print(f"복구 훈련: {target.isoformat()} 시점으로 복원합니다 …")
            report = run_drill(parts, target=target)
    except DrillError as exc:
        _refuse(exc, as_json)
    except ClusterError as exc:
        fail(str(exc), "cluster.error")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(_table(report))
        console.print(
            f"백업 {report.backup_label}; 복원 {report.restore_seconds}초, "
            f"재생 {report.replay_seconds}초, 대조 {report.prove_seconds}초, "
            f"전체 {report.total_seconds}초",
            highlight=False,
        )
    if not report.passed:
        fail(report.detail, report.code)
    if not as_json:
        console.print(f"통과: {report.detail}")
