"""The long-running processes ``minwon cluster up`` starts: the supervisor and the
guards. Hidden commands: the launcher runs them, and on real hosts systemd runs the guard
(``minwon-pgguard.service``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated

import typer

from minwon.cli.plain import fail
from minwon.logging_setup import configure_logging
from minwon.operations.cluster.guard import HUNG_AFTER_SECONDS, Guard, Policy, Target
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.supervisor import Supervisor

DEFAULT_ROOT = Path("var/cluster")


def supervise(
    root: Annotated[Path, typer.Option("--root", help="클러스터 상태 폴더")] = DEFAULT_ROOT,
) -> None:
    """(내부용) 죽은 구성요소를 다시 띄우는 감독자: `up`이 띄우고 `down`이 내립니다."""
    if not LocalCluster(root).exists:
        fail(f"{root}에 클러스터 상태가 없습니다.", "cluster.none", 2)
    Supervisor(root).run()


def guard(
    host: Annotated[str, typer.Option(help="PostgreSQL 주소")],
    port: Annotated[int, typer.Option(help="PostgreSQL 포트")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="PostgreSQL 데이터 폴더")],
    rest_url: Annotated[str, typer.Option("--rest-url", help="이 노드 Patroni의 REST 주소")],
    user: Annotated[str, typer.Option(help="접속할 슈퍼유저")] = "postgres",
    hung_after: Annotated[float, typer.Option(min=1.0, help="응답 없음을 멈춤으로 볼 초")] = (
        HUNG_AFTER_SECONDS
    ),
) -> None:
    """(내부용) 주 서버가 새 연결·커밋에 응답하지 않으면 격리해 Patroni가 넘기게 합니다.

    암호는 Patroni와 같이 환경 변수 PATRONI_SUPERUSER_PASSWORD에서 읽습니다."""
    password = os.environ.get("PATRONI_SUPERUSER_PASSWORD")
    if not password:
        fail("PATRONI_SUPERUSER_PASSWORD가 없습니다.", "cluster.guard_password", 2)
    target = Target(host, port, user, password, "postgres", data_dir, rest_url.rstrip("/"))
    configure_logging(json_lines=True)
    guard = Guard(target, Policy(hung_after=hung_after))
    signal.signal(signal.SIGTERM, lambda *_: guard.stop())
    guard.run()
