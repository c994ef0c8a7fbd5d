"""``minwon cluster``: the local Patroni/etcd/HAProxy cluster, and plans for real hosts."""

from __future__ import annotations

import json
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli import cluster_daemons
from minwon.cli.plain import console, fail
from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.cluster.control import SUPERVISOR
from minwon.operations.cluster.errors import (
    ClusterError,
    ClusterNotFoundError,
    UnknownProcessError,
)
from minwon.operations.cluster.faults import EXAMPLES, PauseTarget, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.plan import write_plan
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.cluster.topology import hosts_spec
from minwon.operations.scenarios import RUNBOOKS, Runbook, find_runbook
from minwon.operations.scenarios.steps import Keyword

app = typer.Typer(
    help="PostgreSQL 클러스터(Patroni·etcd·HAProxy)와 앱 인스턴스를 띄우고, 살피고, 내립니다.",
    no_args_is_help=True,
)

RootOption = Annotated[
    Path, typer.Option("--root", help="클러스터 상태·로그·비밀 파일을 두는 폴더")
]
DEFAULT_ROOT = Path("var/cluster")


def _attach(root: Path) -> LocalCluster:
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(
            f"{root}에 실행 중인 클러스터 상태가 없습니다 (`minwon cluster up`).", "cluster.none", 2
        )
    return cluster


def _masked(url: str) -> str:
    head, _, tail = url.partition("@")
    return f"{head.rpartition(':')[0]}:***@{tail}" if tail else url


@app.command("up")
def up(
    root: RootOption = DEFAULT_ROOT,
    apps: Annotated[int, typer.Option(min=1, max=16, help="앱 인스턴스 수")] = 2,
    residents: Annotated[int, typer.Option(min=1, help="만들 가상 주민 수")] = 2000,
    seed: Annotated[int, typer.Option(help="가상 주민등록 seed")] = 1,
    backup_full_hours: Annotated[
        float,
        typer.Option(
            min=0, help="이 시간(h)보다 새 전체 백업이 없으면 받습니다 (0: 예약 백업 없음)"
        ),
    ] = 0,
    backup_diff_minutes: Annotated[
        float, typer.Option(min=1, help="전체 백업 사이에 차등 백업을 받는 간격(분)")
    ] = 60,
) -> None:
    """etcd 3대, Patroni/PostgreSQL 3대, HAProxy 2대, 앱 N대를 127.0.0.1에 띄웁니다."""
    schedule = None
    if backup_full_hours > 0:
        schedule = BackupSchedule(
            full_every=timedelta(hours=backup_full_hours),
            diff_every=timedelta(minutes=backup_diff_minutes),
        )
    cluster = LocalCluster(root, apps=apps, backup_schedule=schedule)
    began = time.monotonic()
    with console.status("클러스터를 띄우는 중 (etcd → Patroni → HAProxy → 앱)..."):
        try:
            cluster.up(demo_residents=residents, seed=seed)
        except ClusterError as exc:
            fail(str(exc), "cluster.up")
        except KeyboardInterrupt:
            fail("중단했습니다. 띄운 프로세스는 모두 내렸습니다.", "cluster.interrupted", 130)
    elapsed = time.monotonic() - began
    spec = cluster.spec
    table = Table(title=f"Minwon 클러스터 ({elapsed:.1f}초, 리더 {cluster.leader()})")
    table.add_column("구성요소")
    table.add_column("주소")
    for a in spec.apps:
        table.add_row(f"앱 {a.name}", a.url)
    for p in spec.haproxies:
        table.add_row(
            f"HAProxy {p.name}",
            f"{p.host}:{p.port} (통계 http://{p.host}:{p.stats_port}/)",
        )
    for n in spec.nodes:
        table.add_row(f"Patroni {n.name}", f"REST {n.rest_url}  PostgreSQL {n.host}:{n.pg_port}")
    for m in spec.etcd:
        table.add_row(f"etcd {m.name}", f"{m.client_url} (peer {m.peer_port})")
    console.print(table)
    console.print(f"DB URL: {_masked(cluster.database_url())}", highlight=False)
    console.print(
        f"비밀번호: {cluster.root / 'secrets.json'} (0600)   로그: {cluster.root / 'logs'}"
    )
    console.print(
        f"살펴보기: minwon cluster status --root {root}   내리기: minwon cluster down --root {root}"
    )


def _status_table(status: ClusterStatus) -> Table:
    table = Table(title="클러스터 상태: " + ("정상" if status.healthy else "이상"))
    for column in ("구성요소", "역할", "상태", "타임라인", "지연(bytes)", "동기"):
        table.add_column(column)
    for m in status.members:
        table.add_row(
            m.name,
            m.role,
            m.state,
            str(m.timeline if m.timeline is not None else "-"),
            str(m.lag_bytes if m.lag_bytes is not None else "?"),
            "예" if m.sync else "",
        )
    for e in status.etcd:
        table.add_row(f"etcd {e.name}", "dcs", "healthy" if e.healthy else "UNHEALTHY", "", "", "")
    for h in status.haproxy:
        state = "→ primary" if h.reaches_primary else "NO PRIMARY"
        table.add_row(f"haproxy {h.name}", f":{h.port}", state, "", "", "")
    for a in status.apps:
        table.add_row(f"app {a.name}", a.url, "ready" if a.ready else "NOT READY", "", "", "")
    if status.supervisor is not None:
        _supervisor_rows(table, status)
    return table


def _supervisor_rows(table: Table, status: ClusterStatus) -> None:
    sup = status.supervisor
    assert sup is not None
    if not sup.running:
        state = "NOT RUNNING"
    else:
        state = f"running (마지막 점검 {sup.last_round_seconds}초 전)"
    table.add_row("supervisor", f"pid {sup.pid}", state, "", "", "")
    for name, count in sup.restarts:
        held = " (멈춰 둠)" if name in sup.held else ""
        table.add_row(f"  재시작 {name}", "", f"{count}회{held}", "", "", "")
    for name in sup.held:
        if name not in dict(sup.restarts):
            table.add_row(f"  멈춰 둠 {name}", "", "held", "", "", "")


@app.command("status")
def status(
    root: RootOption = DEFAULT_ROOT,
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력합니다")] = False,
) -> None:
    """구성원·역할·지연·동기 여부와 etcd·HAProxy·앱 상태를 보여 줍니다 (이상하면 종료 코드 1)."""
    cluster = _attach(root)
    try:
        current = cluster.status()
    except ClusterNotFoundError as exc:
        fail(str(exc), "cluster.none", 2)
    except ClusterError as exc:
        fail(str(exc), "cluster.status")
    if as_json:
        console.print_json(json.dumps(current.to_dict(), ensure_ascii=False))
    else:
        console.print(_status_table(current))
        for problem in current.problems:
            console.print(f"[red]문제[/]: {problem}", highlight=False)
    if not current.healthy:
        raise typer.Exit(1)


@app.command("down")
def down(
    root: RootOption = DEFAULT_ROOT,
    keep: Annotated[bool, typer.Option(help="데이터와 상태 파일을 지우지 않습니다")] = False,
) -> None:
    """띄운 프로세스를 PID로 모두 내리고 데이터를 지웁니다 (여러 번 실행해도 안전)."""
    cluster = LocalCluster(root)
    if not cluster.exists:
        console.print(f"{root}에 클러스터가 없습니다. 할 일이 없습니다.")
        return
    began = time.monotonic()
    try:
        cluster.down(keep=keep)
    except ClusterError as exc:
        fail(str(exc), "cluster.down")
    console.print(f"클러스터를 내렸습니다 ({time.monotonic() - began:.1f}초).")


@app.command("switchover")
def switchover(
    root: RootOption = DEFAULT_ROOT,
    candidate: Annotated[
        str | None, typer.Option(help="새 리더 (동기 대기 서버여야 합니다, 예: pg2)")
    ] = None,
) -> None:
    """계획된 리더 교체: 새 리더가 쓰기를 받고 옛 리더가 다시 복제할 때까지 기다립니다."""
    cluster = _attach(root)
    began = time.monotonic()
    try:
        old = cluster.leader()
        new = cluster.switchover(candidate)
    except ClusterError as exc:
        fail(str(exc), "cluster.switchover")
    console.print(f"리더 교체: {old} → {new} ({time.monotonic() - began:.1f}초)")


@app.command("plan")
def plan(
    hosts: Annotated[str, typer.Option(help="쉼표로 구분한 호스트 주소 3개 이상")],
    out: Annotated[Path, typer.Option("--out", help="설정 파일을 쓸 폴더")] = Path("deploy/plan"),
) -> None:
    """실제 서버용 설정 파일(Patroni·etcd·HAProxy·systemd·app.env)을 씁니다 (접속 없음)."""
    names = [h.strip() for h in hosts.split(",") if h.strip()]
    try:
        spec = hosts_spec(names)
    except ValueError as exc:
        fail(str(exc), "cluster.plan")
    written = write_plan(spec, out)
    console.print(
        f"{len(written)}개 파일을 {out}에 썼습니다. 비밀번호는 ${{...}} 자리표시자입니다."
    )


def _process(text: str) -> ProcessRef:
    try:
        return ProcessRef.parse(text)
    except UnknownProcessError:
        fail(f"알 수 없는 프로세스 {text!r}입니다 (예: {EXAMPLES}).", "cluster.process", 2)


ProcessArgument = Annotated[
    str, typer.Argument(help=f"종류:이름 (예: {EXAMPLES}) 또는 supervisor", show_default=False)
]


@app.command("kill")
def kill(
    process: ProcessArgument,
    root: RootOption = DEFAULT_ROOT,
    sig: Annotated[str, typer.Option("--signal", help="보낼 신호 (KILL, TERM, INT)")] = "KILL",
    hold: Annotated[
        bool, typer.Option("--hold", help="감독자가 다시 띄우지 않게 합니다 (호스트가 죽은 것처럼)")
    ] = False,
) -> None:
    """장애 주입: 프로세스 하나에 신호를 보냅니다 (기본 kill -9). 감독자가 다시 띄웁니다."""
    name = sig.upper().removeprefix("SIG")
    if name not in ("KILL", "TERM", "INT"):
        fail(f"보낼 수 있는 신호는 KILL, TERM, INT입니다 ({sig!r}).", "cluster.signal", 2)
    if process.strip() == SUPERVISOR:
        cluster = _attach(root)
        if not cluster.stop_supervisor(signal.Signals[f"SIG{name}"]):
            fail("감독자가 돌고 있지 않습니다.", "cluster.kill")
        console.print("감독자에 신호를 보냈습니다. 아무도 다시 띄우지 않습니다.", highlight=False)
        return
    ref = _process(process)
    cluster = _attach(root)
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


@app.command("pause")
def pause(target: PauseArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """장애 주입: 멈춘 서버를 흉내 냅니다 (SIGSTOP). 죽지 않고 응답만 하지 않습니다."""
    try:
        parsed = PauseTarget.parse(target)
        pids = _attach(root).pause(parsed)
    except (UnknownProcessError, ClusterError) as exc:
        fail(str(exc), "cluster.pause")
    console.print(
        f"{parsed}: 프로세스 {len(pids)}개를 멈췄습니다 (minwon cluster resume {parsed}).",
        highlight=False,
    )


@app.command("resume")
def resume(target: PauseArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """멈춘 프로세스를 다시 움직입니다 (SIGCONT)."""
    try:
        parsed = PauseTarget.parse(target)
        pids = _attach(root).resume(parsed)
    except (UnknownProcessError, ClusterError) as exc:
        fail(str(exc), "cluster.resume")
    console.print(f"{parsed}: 프로세스 {len(pids)}개를 다시 움직였습니다.", highlight=False)


@app.command("stop")
def stop(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """프로세스 하나를 정상 종료(SIGTERM)하고, start 할 때까지 감독자가 다시 띄우지 않게 합니다."""
    if process.strip() == SUPERVISOR:
        stopped = _attach(root).stop_supervisor()
        console.print("감독자를 멈췄습니다." if stopped else "감독자가 돌고 있지 않습니다.")
        return
    ref = _process(process)
    cluster = _attach(root)
    try:
        stopped = cluster.stop(ref)
    except ClusterError as exc:
        fail(str(exc), "cluster.stop")
    done = "멈췄습니다" if stopped else "이미 멈춰 있습니다"
    console.print(
        f"{done}: {ref}. 감독자가 다시 띄우지 않습니다 (다시 띄우기: minwon cluster start {ref}).",
        highlight=False,
    )


@app.command("start")
def start(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """멈춘 프로세스를 다시 띄웁니다 (멈춰 둔 표시도 지웁니다; postgres:pgN은 그 Patroni를)."""
    if process.strip() == SUPERVISOR:
        try:
            pid = _attach(root).start_supervisor()
        except ClusterError as exc:
            fail(str(exc), "cluster.start")
        console.print(f"감독자가 돕니다 (pid {pid}).", highlight=False)
        return
    ref = _process(process)
    cluster = _attach(root)
    try:
        cluster.start(ref)
    except ClusterError as exc:
        fail(str(exc), "cluster.start")
    console.print(f"띄웠습니다: {ref} (준비 확인: minwon cluster status)", highlight=False)


@app.command("running")
def running(process: ProcessArgument, root: RootOption = DEFAULT_ROOT) -> None:
    """프로세스가 돌고 있으면 종료 코드 0, 아니면 3 (systemctl is-active처럼)."""
    ref = _process(process)
    if str(ref) not in _attach(root).pids():
        raise typer.Exit(3)


# The long-running parts the launcher starts (``supervise``, ``guard``): cluster_daemons.py.
app.command("supervise", hidden=True)(cluster_daemons.supervise)
app.command("guard", hidden=True)(cluster_daemons.guard)


def _runbook_lines(runbook: Runbook) -> list[str]:
    lines = [
        f"{runbook.fault} 런북: {runbook.title_ko}",
        f"지켜야 할 것: {runbook.must_hold_ko}",
        "",
    ]
    previous: Keyword | None = None
    width = len(str(len(runbook.steps)))
    for number, step in enumerate(runbook.steps, start=1):
        keyword = "그리고" if step.keyword is previous else step.keyword.ko
        previous = step.keyword
        lines.append(f"{number:>{width}}. [{keyword}] {step.ko}")
        if step.how:
            lines.append(f"{'':>{width}}    직접 할 때: {step.how}")
    return lines


@app.command("runbook")
def runbook(
    fault: Annotated[
        str | None, typer.Argument(help="장애 번호 (예: F2a); 빼면 장애 목록을 보여 줍니다")
    ] = None,
) -> None:
    """장애 시나리오의 런북을 단계마다 번호를 붙여 보여 줍니다 (테스트가 밟는 단계 그대로)."""
    if fault is None:
        console.print("장애 시나리오 런북 (자세히: minwon cluster runbook <장애>):")
        for item in RUNBOOKS.values():
            console.print(
                f"  {item.fault:<4} {item.title_ko} ({len(item.steps)}단계)",
                markup=False,
                highlight=False,
            )
        return
    found = find_runbook(fault)
    if found is None:
        known = ", ".join(RUNBOOKS)
        fail(f"알 수 없는 장애 {fault!r}입니다. 있는 장애: {known}", "cluster.runbook", 2)
    for line in _runbook_lines(found):
        console.print(line, markup=False, highlight=False)


if __name__ == "__main__":  # `python -m minwon.cli.cluster`: without the rest of the CLI
    app()
