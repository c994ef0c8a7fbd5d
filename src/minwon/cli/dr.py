"""``minwon dr``: the second site (disaster recovery) of the local cluster at ``--root``.

``drill --to TIME`` restores a backup to a point in time and proves it (``dr_drill.py``);
``up`` starts the second site beside a running cluster, ``status`` says how far behind it is (bytes,
seconds, issuances), ``promote`` checks that the primary site is fenced and what the
promotion would lose before it promotes, ``rejoin`` makes the old primary site the new
one's standby, ``link cut|restore`` cuts and mends the replication link (drills).
Exit codes: 0 done, 1 failed, 2 nothing to act on, 3 refused by a check.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from minwon.cli import dr_drill
from minwon.cli.options import DEFAULT_ROOT
from minwon.cli.plain import console, fail
from minwon.operations.backup.pgbackrest import BackupError
from minwon.operations.cluster.errors import ClusterError, ClusterNotFoundError
from minwon.operations.dr.promotion import DEFAULT_MAX_LAG_BYTES
from minwon.operations.dr.site import DrPolicy, DrStatus, SecondSite

app = typer.Typer(
    help="재해복구: 복구 훈련; 제2 사이트를 띄우고, 지연을 보고, 승격하고, 다시 붙입니다.",
    no_args_is_help=True,
)
link_app = typer.Typer(help="사이트 간 복제 링크를 끊고 잇습니다 (훈련용).", no_args_is_help=True)
app.add_typer(link_app, name="link")
app.command("drill")(dr_drill.drill)

RootOption = Annotated[
    Path, typer.Option("--root", help="주 사이트 클러스터의 폴더 (제2 사이트는 그 아래 site2)")
]
NodesOption = Annotated[int, typer.Option("--nodes", min=1, max=2, help="제2 사이트 DB 노드 수")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON으로 출력")]
REFUSED = 3


SiteOption = Annotated[
    Path | None,
    typer.Option(
        "--site", help="제2 사이트의 폴더 (기본: --root 아래 site2; rejoin 뒤에는 옛 주 사이트)"
    ),
]


def _site(root: Path, site_root: Path | None = None, *, must_exist: bool = True) -> SecondSite:
    site = SecondSite(root, site_root)
    if must_exist and not site.exists:
        fail(f"{site.root}에 제2 사이트가 없습니다 (`minwon dr up`).", "dr.no_site", 2)
    return site


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


@app.command("up")
def up(
    root: RootOption = DEFAULT_ROOT,
    site_root: SiteOption = None,
    nodes: NodesOption = 2,
    auto_promote_after: Annotated[
        float,
        typer.Option(
            min=0, help="주 사이트가 이 시간(초) 동안 전혀 응답하지 않으면 스스로 승격 (0: 안 함)"
        ),
    ] = 0,
    max_lag_bytes: Annotated[
        int, typer.Option(min=0, help="자동 승격을 허용하는 최대 지연(bytes)")
    ] = DEFAULT_MAX_LAG_BYTES,
) -> None:
    """실행 중인 클러스터 옆에 제2 사이트(Patroni 대기 클러스터)를 띄웁니다."""
    site = _site(root, site_root, must_exist=False)
    policy = DrPolicy(auto_promote_after, max_lag_bytes)
    with console.status("제2 사이트를 띄우는 중 (etcd → Patroni 대기 클러스터 → HAProxy → 앱)..."):
        try:
            timings = site.up(nodes=nodes, policy=policy)
        except ClusterNotFoundError as exc:
            fail(str(exc), "cluster.none", 2)
        except (ClusterError, BackupError) as exc:
            fail(str(exc), "dr.up")
    spec = site.cluster.spec
    console.print(f"제2 사이트: {site.root} ({timings.get('site_total')}초)")
    for proxy in spec.haproxies:
        console.print(f"  앱 경로 {proxy.app_url}  DB 경로 {proxy.host}:{proxy.port}")
    for node in spec.nodes:
        console.print(f"  Patroni {node.name} {node.rest_url}")
    console.print(f"살펴보기: minwon dr status --root {root}")


@app.command("down")
def down(root: RootOption = DEFAULT_ROOT, site_root: SiteOption = None) -> None:
    """제2 사이트를 PID로 내리고 데이터를 지웁니다 (주 사이트는 그 저장소로 보내기를 멈춤)."""
    site = _site(root, site_root)
    try:
        site.down()
    except ClusterError as exc:
        fail(str(exc), "dr.down")
    console.print("제2 사이트를 내렸습니다.")


def _status_table(status: DrStatus) -> Table:
    lag = status.lag
    table = Table(
        title="제2 사이트: " + ("대기 (주 사이트를 따라감)" if status.following else "승격됨")
    )
    table.add_column("항목")
    table.add_column("값")
    known = "" if lag.known else " (알 수 없음: 마지막 확인 값)"
    table.add_row("지연 (bytes)", f"{lag.bytes if lag.bytes is not None else '-'}{known}")
    table.add_row("지연 (초)", f"{lag.seconds if lag.seconds is not None else '-'}")
    table.add_row("주 사이트 응답", "예" if lag.primary_answering else "아니오")
    table.add_row("주 사이트 마지막 확인", _when(lag.primary_seen_at))
    counted = (
        ""
        if status.lag.primary_answering
        else f" (주 사이트: {_when(status.primary_counted_at)}에 센 값)"
    )
    table.add_row(
        "발급 수 (주 / 제2)", f"{status.primary_issuances} / {status.site_issuances}{counted}"
    )
    missing = status.missing_issuances
    table.add_row("제2 사이트에 없는 발급", "-" if missing is None else str(missing))
    link = {True: "연결", False: "끊김", None: "-"}[status.link_up]
    table.add_row("복제 링크", link)
    return table


@app.command("status")
def status(
    root: RootOption = DEFAULT_ROOT, site_root: SiteOption = None, as_json: JsonOption = False
) -> None:
    """제2 사이트의 지연(bytes·초)과 아직 받지 못한 발급 수를 봅니다."""
    site = _site(root, site_root)
    try:
        current = site.status()
    except ClusterError as exc:
        fail(str(exc), "dr.status")
    if as_json:
        console.print_json(json.dumps(current.to_dict()))
        return
    console.print(_status_table(current))


@app.command("promote")
def promote(
    root: RootOption = DEFAULT_ROOT,
    site_root: SiteOption = None,
    accept_loss: Annotated[
        bool,
        typer.Option("--accept-loss", help="지연을 모르거나 한도를 넘어도 손실을 감수하고 승격"),
    ] = False,
    fence: Annotated[
        bool, typer.Option("--fence", help="승격 전에 주 사이트의 프로세스를 PID로 모두 멈춤")
    ] = False,
    max_lag_bytes: Annotated[
        int, typer.Option(min=0, help="손실 없이 승격하는 최대 지연(bytes)")
    ] = DEFAULT_MAX_LAG_BYTES,
    as_json: JsonOption = False,
) -> None:
    """주 사이트가 격리되었고 지연이 한도 안일 때 제2 사이트를 승격합니다."""
    site = _site(root, site_root)
    try:
        result = site.promote(
            accept_loss=accept_loss, fence_primary=fence, max_lag_bytes=max_lag_bytes
        )
    except ClusterError as exc:
        fail(str(exc), "dr.promote")
    verdict = result.verdict
    if as_json:
        data: dict[str, Any] = {
            "verdict": verdict.to_dict(),
            "seconds": result.seconds,
            "endpoints": result.endpoints,
            "fenced_by_us": result.fenced_by_us,
            "status_before": result.status_before,
        }
        console.print_json(json.dumps(data, ensure_ascii=False))
        if not verdict.allowed:
            raise typer.Exit(REFUSED)
        return
    if not verdict.allowed:
        fail(verdict.detail, verdict.code, REFUSED)
    console.print(f"승격했습니다 ({result.seconds}초): {verdict.detail}", highlight=False)
    if verdict.code == "dr.loss_accepted" and result.status_before:
        missing = result.status_before.get("missing_issuances")
        console.print(f"마지막 `dr status`가 보고한, 제2 사이트에 없던 발급: {missing}건")
    console.print("이제 클라이언트가 갈 곳: " + ", ".join(result.endpoints))


@app.command("rejoin")
def rejoin(
    root: RootOption = DEFAULT_ROOT, site_root: SiteOption = None, nodes: NodesOption = 2
) -> None:
    """승격 뒤 옛 주 사이트를 새 주 사이트의 대기 사이트로 새로 복제해 붙입니다."""
    site = _site(root, site_root)
    if site.cluster.exists and not site.promotions():
        fail("제2 사이트가 승격된 적이 없습니다.", "dr.not_promoted", 2)
    try:
        swapped = site.rejoin(nodes=nodes)
    except (ClusterError, BackupError) as exc:
        fail(str(exc), "dr.rejoin")
    console.print(
        f"옛 주 사이트 {swapped.root}가 {swapped.primary_root}의 대기 사이트로 붙었습니다. "
        f"살펴보기: minwon dr status --root {swapped.primary_root} --site {swapped.root}"
    )


@link_app.command("cut")
def link_cut(root: RootOption = DEFAULT_ROOT, site_root: SiteOption = None) -> None:
    """복제 링크를 끊습니다 (제2 사이트 HAProxy의 링크 서버를 유지보수로, 흐름도 끊음)."""
    try:
        _site(root, site_root).cut_link()
    except ClusterError as exc:
        fail(str(exc), "dr.link")
    console.print("복제 링크를 끊었습니다.")


@link_app.command("restore")
def link_restore(root: RootOption = DEFAULT_ROOT, site_root: SiteOption = None) -> None:
    """끊은 복제 링크를 다시 잇습니다."""
    try:
        _site(root, site_root).restore_link()
    except ClusterError as exc:
        fail(str(exc), "dr.link")
    console.print("복제 링크를 다시 이었습니다.")
