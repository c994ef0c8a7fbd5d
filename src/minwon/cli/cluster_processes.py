"""``minwon cluster kill|pause|resume|stop|start|running``: one process at a time.

Fault injection (a signal, SIGSTOP) and holding a part down or starting it again, on the
local cluster at ``--root``; registered on ``minwon cluster`` by ``cli/cluster.py``.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.operations.cluster.control import SUPERVISOR
from minwon.operations.cluster.errors import ClusterError, UnknownProcessError
from minwon.operations.cluster.faults import EXAMPLES, PauseTarget, ProcessRef
from minwon.operations.cluster.local import LocalCluster


def attach(root: Path) -> LocalCluster:
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(
            f"{root}에 실행 중인 클러스터 상태가 없습니다 (`minwon cluster up`).", "cluster.none", 2
        )
    return cluster


def _process(text: str) -> ProcessRef:
    try:
        return ProcessRef.parse(text)
    except UnknownProcessError:
        fail(f"알 수 없는 프로세스 {text!r}입니다 (예: {EXAMPLES}).", "cluster.process", 2)


ProcessArgument = Annotated[
    str, typer.Argument(help=f"종류:이름 (예: {EXAMPLES}) 또는 supervisor", show_default=False)
]


def kill(
    process: ProcessArgument,
    root: RootOption = DEFAULT_ROOT,
    sig: Annotated[str, typer.Option("--signal", help="보낼 신호 (KILL, TERM, INT)")] = "KILL",
    hold: Annotated[
        bool, typer.Option("--hold", help="감독자가 다시 띄우지 않게 합니다 (호스트가 죽은 것처럼)")
    ] = False,
) -> None:
    """장애 주입: 프로세스 하나에 신호를 보냅니다 (기본 kill -9). 감독자가 다시 띄웁니다.
    `site`: 사이트 전체(감독자 포함)를 한꺼번에 kill -9 (F5, 화재)."""
    if process.strip() == "site":
        pids = attach(root).kill_site()
        console.print(
            f"사이트의 프로세스 {len(pids)}개에 SIGKILL을 보냈습니다. 아무것도 다시 뜨지 않습니다.",
            highlight=False,
        )
        return
    name = sig.upper().removeprefix("SIG")
    if name not in ("KILL", "TERM", "INT"):
        fail(f"보낼 수 있는 신호는 KILL, TERM, INT입니다 ({sig!r}).", "cluster.signal", 2)
    if process.strip() == SUPERVISOR:
        cluster = attach(root)
        if not cluster.stop_supervisor(signal.Signals[f"SIG{name}"]):
            fail("감독자가 돌고 있지 않습니다.", "cluster.kill")
        console.print("감독자에 신호를 보냈습니다. 아무도 다시 띄우지 않습니다.", highlight=False)
        return
    ref = _process(process)
    cluster = attach(root)
    try:
        cluster.kill(ref, signal.Signals[f"SIG{name}"], hold=hold)
    except ClusterError as exc:
        fail(str(exc), "cluster.kill")
    after = (
        f"다시 띄울 때까지 멈춰 둡니다 (minwon cluster start {ref})"
        if hold
        else "감독자가 다시 띄웁니다"
    )
    console.print(f"{ref}에 SIG{name}을 보냈습니다. {after}.", highlight=False)


PauseArgument = Annotated[
    str, typer.Argument(help="walreceiver@pg2, postgres@pg2, postmaster@pg1, node@pg1")
]


def pause(target: PauseArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """장애 주입: 멈춘 서버를 흉내 냅니다 (SIGSTOP). 죽지 않고 응답만 하지 않습니다."""
    try:
        parsed = PauseTarget.parse(target)
        pids = attach(root).pause(parsed)
    except (UnknownProcessError, ClusterError) as exc:
        fail(str(exc), "cluster.pause")
    console.print(
        f"{parsed}: 프로세스 {len(pids)}개를 멈췄습니다 (minwon cluster resume {parsed}).",
        highlight=False,
    )


def resume(target: PauseArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """멈춘 프로세스를 다시 움직입니다 (SIGCONT)."""
    try:
        parsed = PauseTarget.parse(target)
        pids = attach(root).resume(parsed)
    except (UnknownProcessError, ClusterError) as exc:
        fail(str(exc), "cluster.resume")
    console.print(f"{parsed}: 프로세스 {len(pids)}개를 다시 움직였습니다.", highlight=False)


def stop(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """프로세스 하나를 정상 종료(SIGTERM)하고, start 할 때까지 감독자가 다시 띄우지 않게 합니다."""
    if process.strip() == SUPERVISOR:
        stopped = attach(root).stop_supervisor()
        console.print("감독자를 멈췄습니다." if stopped else "감독자가 돌고 있지 않습니다.")
        return
    ref = _process(process)
    cluster = attach(root)
    try:
        stopped = cluster.stop(ref)
    except ClusterError as exc:
        fail(str(exc), "cluster.stop")
    done = "멈췄습니다" if stopped else "이미 멈춰 있습니다"
    console.print(
        f"{done}: {ref}. 감독자가 다시 띄우지 않습니다 (다시 띄우기: minwon cluster start {ref}).",
        highlight=False,
    )


def start(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """멈춘 프로세스를 다시 띄웁니다 (멈춰 둔 표시도 지웁니다; postgres:pgN은 그 Patroni를)."""
    if process.strip() == SUPERVISOR:
        try:
            pid = attach(root).start_supervisor()
        except ClusterError as exc:
            fail(str(exc), "cluster.start")
        console.print(f"감독자가 돕니다 (pid {pid}).", highlight=False)
        return
    ref = _process(process)
    cluster = attach(root)
    try:
        cluster.start(ref)
    except ClusterError as exc:
        fail(str(exc), "cluster.start")
    console.print(f"띄웠습니다: {ref} (준비 확인: minwon cluster status)", highlight=False)


def running(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """프로세스가 돌고 있으면 종료 코드 0, 아니면 3 (systemctl is-active처럼)."""
    ref = _process(process)
    if str(ref) not in attach(root).pids():
        raise typer.Exit(3)
