"""``minwon backup``: pgBackRest backups of the local cluster at ``--root``.

Each command runs the real ``pgbackrest`` as the database user with the primary's
configuration; a failure is one Korean line with a stable code and what pgBackRest said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.operations.backup.info import human_size
from minwon.operations.backup.pgbackrest import (
    BACKUP_TYPES,
    BackupError,
    PgBackRest,
    shorten,
)
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.local import LocalCluster

app = typer.Typer(
    help="pgBackRest로 클러스터를 백업하고, 백업 목록을 보고, 백업을 검증합니다.",
    no_args_is_help=True,
)


def _pgbackrest(root: Path) -> PgBackRest:
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(
            f"{root}에 실행 중인 클러스터 상태가 없습니다 (`minwon cluster up`).", "cluster.none", 2
        )
    try:
        return cluster.pgbackrest()
    except BackupError as exc:
        fail(exc.detail, exc.code)
    except ClusterError as exc:
        fail(str(exc), "cluster.error")


@app.command("run")
def run(
    root: RootOption = DEFAULT_ROOT,
    kind: Annotated[
        str, typer.Option("--type", help="full(전체), diff(차등), incr(증분)")
    ] = "full",
) -> None:
    """프라이머리에서 백업을 한 번 받고, 보존 기간이 지난 백업을 지웁니다."""
    if kind not in BACKUP_TYPES:
        fail(f"백업 종류는 full, diff, incr 중 하나입니다: {kind}", "backup.type", 2)
    pgbackrest = _pgbackrest(root)
    try:
        with console.status(f"{kind} 백업 중..."):
            pgbackrest.backup(kind)  # a BackupType: checked above
        latest = pgbackrest.info().latest()
    except BackupError as exc:
        fail(exc.detail, exc.code)
    if latest is not None:
        console.print(
            f"{latest.type} 백업 {latest.label}: {human_size(latest.size)} "
            f"(저장소 {human_size(latest.repo_delta)}), {latest.seconds}초",
            highlight=False,
        )


@app.command("list")
def list_backups(
    root: RootOption = DEFAULT_ROOT,
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력")] = False,
) -> None:
    """저장소에 있는 백업과 WAL 아카이브 범위를 보여 줍니다."""
    try:
        info = _pgbackrest(root).info()
    except BackupError as exc:
        fail(exc.detail, exc.code)
    if as_json:
        data = {
            "stanza": info.name,
            "status": {"code": info.status_code, "message": info.status_message},
            "wal": {"min": info.wal_min, "max": info.wal_max},
            "backups": [b.to_dict() for b in info.backups],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"백업 ({info.name}: {info.status_message})")
    table.add_column("레이블", no_wrap=True)  # copied into restore commands whole
    for column in ("종류", "시작", "걸린 시간", "DB 크기", "저장소 크기", "WAL"):
        table.add_column(column)
    for b in info.backups:
        table.add_row(
            b.label,
            b.type,
            b.started.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            f"{b.seconds}초",
            human_size(b.size),
            human_size(b.repo_delta),
            f"{b.wal_start}..{b.wal_stop}",
        )
    console.print(table)
    console.print(f"WAL 아카이브: {info.wal_min or '-'} .. {info.wal_max or '-'}", highlight=False)


@app.command("verify")
def verify(root: RootOption = DEFAULT_ROOT) -> None:
    """저장소의 모든 백업 파일과 WAL을 다시 읽어 체크섬을 확인합니다."""
    try:
        with console.status("백업 검증 중..."):
            report = _pgbackrest(root).verify()
    except BackupError as exc:
        fail(exc.detail, exc.code)
    if not report.ok:
        problems = "; ".join(report.problems) or shorten(report.text)
        fail(f"백업 검증에 실패했습니다: {problems}", "backup.invalid")
    console.print("백업 검증 통과: 모든 백업 파일과 WAL의 체크섬이 맞습니다.")


@app.command("check")
def check(root: RootOption = DEFAULT_ROOT) -> None:
    """WAL 한 세그먼트를 바꿔 저장소에 아카이브되는지 확인합니다 (pgbackrest check)."""
    try:
        _pgbackrest(root).check()
    except BackupError as exc:
        fail(exc.detail, exc.code)
    console.print("WAL 아카이브 점검 통과.")
