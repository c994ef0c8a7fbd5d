"""``minwon cluster``: the local Patroni/etcd/HAProxy cluster, and plans for real hosts."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli import cluster_daemons, cluster_processes, cluster_rehearse
from minwon.cli.cluster_processes import attach
from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.operations.backup.pgbackrest import BackupError
from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.cluster.errors import (
    ClusterError,
    ClusterNotFoundError,
)
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.plan import write_plan
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.cluster.topology import hosts_spec
from minwon.operations.dr.site import SecondSite
from minwon.operations.scenarios import RUNBOOKS, Runbook, find_runbook
from minwon.operations.scenarios.steps import Keyword

app = typer.Typer(
    help="PostgreSQL 클러스터(Patroni·etcd·HAProxy)와 앱 인스턴스를 띄우고, 살피고, 내립니다.",
    no_args_is_help=True,
)


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
    sites: Annotated[
        int, typer.Option(min=1, max=2, help="2: 제2 사이트(대기 클러스터)도 띄웁니다")
    ] = 1,
    dr_nodes: Annotated[int, typer.Option(min=1, max=2, help="제2 사이트의 DB 노드 수")] = 2,
) -> None:
    """etcd 3대, Patroni/PostgreSQL 3대, HAProxy 2대, 앱 N대를 127.0.0.1에 띄웁니다
    (--sites 2: 그 옆에 제2 사이트도)."""
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
    if sites == 2:
        second = SecondSite(root)
        with console.status("제2 사이트를 띄우는 중 (대기 클러스터, 저장소 2, 첫 전체 백업)..."):
            try:
                timings = second.up(nodes=dr_nodes)
            except (ClusterError, BackupError) as exc:
                fail(f"주 사이트는 떠 있습니다. 제2 사이트는 실패: {exc}", "dr.up")
        console.print(
            f"제2 사이트: {second.root} ({timings.get('site_total')}초), 앱 경로 "
            + ", ".join(p.app_url for p in second.cluster.spec.haproxies)
            + f"   살펴보기: minwon dr status --root {root}"
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
    cluster = attach(root)
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
    second = SecondSite(root)
    try:
        if second.exists and not keep:  # first: the primary site archives to its repository
            second.down()
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
    cluster = attach(root)
    began = time.monotonic()
    try:
        old = cluster.leader()
        new = cluster.switchover(candidate)
    except ClusterError as exc:
        fail(str(exc), "cluster.switchover")
    console.print(f"리더 교체: {old} → {new} ({time.monotonic() - began:.1f}초)")


app.command("rehearse")(cluster_rehearse.rehearse_command)


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


# Fault injection and one process at a time: cluster_processes.py.
for _name in ("kill", "pause", "resume", "stop", "start", "running"):
    app.command(_name)(getattr(cluster_processes, _name))


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
