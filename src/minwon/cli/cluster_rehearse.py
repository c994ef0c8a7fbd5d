"""``minwon cluster rehearse F3``: a failover rehearsal on the running local cluster.

Registered on ``minwon cluster`` by cli/cluster.py. The record lands in
``<root>/rehearsals``, where ``minwon inspect`` reads the age of the last one that held.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from minwon.cli.cluster_processes import attach
from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.client.retrying import ClientError, GaveUp
from minwon.operations.scenarios.rehearsal import REHEARSABLE, rehearse
from minwon.operations.scenarios.runbooks import find_runbook

PASSWORD_ENV = "MINWON_REHEARSAL_PASSWORD"


def _demo_password() -> str:
    from minwon.demo import DEMO_PASSWORD  # the local cluster is seeded with demo accounts

    return DEMO_PASSWORD


def rehearse_command(
    fault: Annotated[str, typer.Argument(help=f"리허설할 장애 ({', '.join(REHEARSABLE)})")],
    root: RootOption = DEFAULT_ROOT,
    citizen: Annotated[
        str, typer.Option("--citizen", help="부하를 내는 (합성) 시민 계정")
    ] = "citizen1",
    workers: Annotated[int, typer.Option(min=1, max=8, help="동시에 발급하는 부하 수")] = 2,
) -> None:
    """장애 전환 리허설: 런북대로 장애를 넣고, 발급 부하 아래에서 복구를 재고, 기록합니다.

    비밀번호는 MINWON_REHEARSAL_PASSWORD에서 읽습니다 (없으면 시연 계정 비밀번호).
    기록은 <root>/rehearsals에 남고 `minwon inspect`가 마지막 리허설의 경과일을 봅니다.
    """
    runbook = find_runbook(fault)
    if runbook is None or runbook.fault not in REHEARSABLE:
        fail(
            f"리허설할 수 없는 장애 {fault!r}입니다. 할 수 있는 장애: {', '.join(REHEARSABLE)} "
            "(F4·P1은 별도 네트워크가 필요해 시나리오 테스트에서만 돌립니다).",
            "cluster.rehearse_unknown",
            2,
        )
    cluster = attach(root)
    password = os.environ.get(PASSWORD_ENV) or _demo_password()
    console.print(f"{runbook.fault} 리허설: {runbook.title_ko or runbook.title}")
    try:
        done = rehearse(cluster, root, runbook, citizen=(citizen, password), workers=workers)
    except ClientError as exc:
        fail(f"부하 계정으로 로그인하지 못했습니다: {exc.status}", "cluster.rehearse_login", 2)
    except GaveUp:
        fail("앱 인스턴스가 응답하지 않아 리허설을 시작하지 못했습니다.", "cluster.rehearse_apps")
    r = done.record
    console.print(
        f"발급 공백 {r.gap_seconds:.2f}초 · 승인 {r.acknowledged}건 · 유실 {r.lost}건 · "
        f"중복 {r.duplicated}건 · 실패 요청 {r.failed_requests}건 · "
        f"복구 {'됨' if r.healed else '안 됨'}",
        markup=False,
        highlight=False,
    )
    for step in r.failed_steps:
        console.print(f"  실패한 단계: {step.name}: {step.note}", markup=False, highlight=False)
    console.print(f"기록: {done.path}", markup=False, highlight=False)
    if not done.held:
        fail(
            "리허설이 기준을 지키지 못했습니다 (위 단계와 기록을 보십시오).",
            "cluster.rehearse_failed",
        )
