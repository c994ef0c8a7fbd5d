"""``minwon release``: roll a new build out over the local cluster's app instances with a
canary that decides by itself; drill builds to watch it roll back; the record."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from minwon.cli import release_host
from minwon.cli.common import console, fail
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.release.builds import BuildError
from minwon.operations.release.canary import Outcome, ReleaseReport, Timing
from minwon.operations.release.drills import DRILLS, make_drill

if TYPE_CHECKING:
    from minwon.operations.release.releaser import HostReleaser

app = typer.Typer(
    help="새 빌드를 카나리아로 배포합니다: 한 인스턴스에서 시험 발급·실사용 비교 뒤 승격, "
    "문제가 있으면 스스로 되돌립니다.",
    no_args_is_help=True,
)

app.add_typer(release_host.app, name="host")

RootOption = Annotated[
    Path, typer.Option("--root", help="클러스터 폴더 (minwon cluster up --root와 같게)")
]
DEFAULT_ROOT = Path("var/cluster")
RELEASES = "releases"  # beside the cluster's state: <root>/releases/<build id>/


FleetOption = Annotated[
    Path | None,
    typer.Option(
        "--fleet", help="실제 서버 배포: minwon cluster plan이 쓴 fleet.json (또는 그 폴더)"
    ),
]
EnvFileOption = Annotated[
    Path | None,
    typer.Option("--env-file", help="실제 서버 배포: 앱 설정 (MINWON_DATABASE_URL, app.env)"),
]
ProbeFileOption = Annotated[
    Path | None,
    typer.Option("--probe-password-file", help="실제 서버 배포: 시험 발급 계정 비밀번호 파일"),
]


def _environment(env_file: Path) -> dict[str, str]:
    """The apps' settings (``app.env`` with its secrets filled); exits on a bad file."""
    from minwon.operations.cluster.render import parse_env

    try:
        environ = parse_env(env_file.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"파일을 읽을 수 없습니다: {exc.filename}", "release.file_missing", 2)
    url = environ.get("MINWON_DATABASE_URL", "")
    if not url or "${" in url:
        fail(f"{env_file}에 채워진 MINWON_DATABASE_URL이 없습니다.", "release.env_invalid", 2)
    return environ


def _host_releaser(
    fleet: Path,
    env_file: Path | None,
    probe_file: Path | None,
    who: str | None,
    timing: Timing,
    *,
    probe: bool = True,
) -> HostReleaser:
    from minwon.operations.release.fleet_plan import FleetPlan, FleetPlanError
    from minwon.operations.release.host_fleet import HostFleet, shell_for
    from minwon.operations.release.releaser import HostReleaser
    from minwon.operations.release.schema import BuildSchemaGate

    if env_file is None or (probe and probe_file is None):
        needs = "--env-file과 --probe-password-file" if probe else "--env-file"
        fail(f"--fleet에는 {needs}이 함께 필요합니다.", "release.usage", 2)
    try:
        plan = FleetPlan.load(fleet)
        if probe_file is not None:
            probe_file.stat()
    except FleetPlanError as exc:
        fail(str(exc), "release.fleet_invalid", 2)
    except OSError as exc:
        fail(f"파일을 읽을 수 없습니다: {exc.filename}", "release.file_missing", 2)
    environ = _environment(env_file)

    def password() -> str:
        if probe_file is None:
            raise FileNotFoundError("--probe-password-file")
        return probe_file.read_text(encoding="utf-8").strip()

    return HostReleaser(
        HostFleet(plan, shell_for(plan.transport)),
        database_url=environ["MINWON_DATABASE_URL"],
        probe_password=password,
        schema=BuildSchemaGate(environ),
        work_dir=fleet.parent if fleet.is_file() else fleet,
        who=who or getpass.getuser(),
        timing=timing,
        # The instances' /metrics from this (operator) host: the token, if they set one.
        metrics_token=environ.get("MINWON_METRICS_TOKEN", ""),
    )


def _attach(root: Path) -> LocalCluster:
    cluster = LocalCluster(root)
    if not cluster.exists:
        fail(f"{root}에 실행 중인 클러스터가 없습니다 (`minwon cluster up`).", "cluster.none", 2)
    return cluster


def _steps(report: ReleaseReport) -> Table:
    table = Table(title=f"배포 {report.build.id} ({report.who})")
    for column in ("#", "단계", "인스턴스", "시작(초)", "걸린 시간", "결과", "내용"):
        table.add_column(column)
    for number, step in enumerate(report.steps, 1):
        table.add_row(
            str(number),
            step.name,
            step.instance or "-",
            f"{step.offset_seconds:.1f}",
            f"{step.seconds:.2f} s",
            "[green]통과[/]" if step.ok else "[red]실패[/]",
            step.note,
        )
    return table


@app.command("run")
def run(
    source: Annotated[Path, typer.Option("--source", help="배포할 코드 (src/minwon이 있는 폴더)")],
    root: RootOption = DEFAULT_ROOT,
    who: Annotated[str | None, typer.Option("--who", help="배포한 사람 (기록용)")] = None,
    allow_quiet: Annotated[
        bool,
        typer.Option(
            "--allow-quiet",
            help="실제 요청이 적어 비교할 수 없으면 시험 발급만으로 승격 (기본: 되돌림)",
        ),
    ] = False,
    fleet: FleetOption = None,
    env_file: EnvFileOption = None,
    probe_password_file: ProbeFileOption = None,
) -> None:
    """빌드를 실행 중인 코드 옆에 설치하고 카나리아로 배포합니다. 승격되면 종료 코드 0,
    되돌리거나 거절되면 1입니다. 모든 단계와 결과는 releases 표에 남습니다.
    --fleet을 주면 로컬 클러스터 대신 실제 서버(fleet.json, SSH)에 배포합니다."""
    from minwon.operations.cluster.releasing import ClusterReleaser
    from minwon.operations.release.ports import FleetError
    from minwon.operations.release.releaser import FleetReleaser

    if not source.is_dir():
        fail(f"배포할 코드 폴더가 없습니다: {source}", "release.source_missing", 2)
    timing = Timing(allow_quiet=allow_quiet)
    releaser: FleetReleaser
    if fleet is not None:
        releaser = _host_releaser(fleet, env_file, probe_password_file, who, timing)
    else:
        releaser = ClusterReleaser(_attach(root), root, who=who or getpass.getuser(), timing=timing)
    try:
        build = releaser.prepare(source)
    except BuildError as exc:
        fail(str(exc), "release.build_failed", 2)
    except FleetError as exc:
        fail(str(exc), "release.install_failed", 2)
    console.print(f"빌드 {build.id}를 준비했습니다: {build.python}", highlight=False)
    report = releaser.release(build)
    console.print(_steps(report))
    decided = report.decision_seconds
    when = f" (카나리아 시작 {decided:.1f}초 뒤 결정)" if decided is not None else ""
    if report.outcome is Outcome.PROMOTED:
        console.print(f"[green]승격[/]: {report.reason}{when}", highlight=False)
        raise typer.Exit(0)
    console.print(
        f"[red]{report.outcome.value if report.outcome else '?'}[/] ({report.code}): "
        f"{report.reason}{when}",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command("contract")
def contract(
    root: RootOption = DEFAULT_ROOT, fleet: FleetOption = None, env_file: EnvFileOption = None
) -> None:
    """배포 뒤에 남겨 둔 축소(contract) 마이그레이션을 적용합니다. 그것을 모르는 이전 빌드가
    하나라도 실행 중이면 거절합니다 (그 빌드가 쓰는 열·표를 지울 수 있으므로)."""
    from minwon.operations.cluster.releasing import ClusterReleaser
    from minwon.operations.release.ports import FleetError
    from minwon.operations.release.schema import SchemaGateError

    releaser: ClusterReleaser | HostReleaser
    if fleet is not None:
        releaser = _host_releaser(fleet, env_file, None, None, Timing(), probe=False)
    else:
        releaser = ClusterReleaser(_attach(root), root)
    try:
        applied = releaser.contract()
    except SchemaGateError as exc:
        fail(exc.message, exc.code)
    except FleetError as exc:
        fail(str(exc), "release.fleet_unreachable")
    if applied:
        console.print(f"축소 마이그레이션을 적용했습니다: {', '.join(applied)}", highlight=False)
    else:
        console.print("적용할 축소 마이그레이션이 없습니다.")


@app.command("drill")
def drill(
    kind: Annotated[str, typer.Argument(help=f"훈련 빌드 종류: {', '.join(DRILLS)}")],
    out: Annotated[Path, typer.Option("--out", help="훈련 빌드 코드를 둘 폴더")],
    source: Annotated[
        Path, typer.Option("--source", help="바탕 코드 (기본: 실행 중인 코드)")
    ] = Path(__file__).resolve().parents[2],
) -> None:
    """일부러 고장 낸 빌드를 만듭니다 (배포 훈련: `minwon release run --source OUT`)."""
    try:
        made = make_drill(kind, source, out)
    except BuildError as exc:
        fail(str(exc), "release.drill_failed", 2)
    console.print(f"{DRILLS[kind].title_ko}: {made}", highlight=False)


@app.command("history")
def history(
    root: RootOption = DEFAULT_ROOT,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력")] = False,
    env_file: EnvFileOption = None,
) -> None:
    """지난 배포: 빌드, 배포한 사람, 시각, 결과와 사유 (--env-file: 실제 서버의 기록)."""
    from minwon.adapters.database import make_engine
    from minwon.adapters.release_store import ReleaseStore

    url = (
        _environment(env_file)["MINWON_DATABASE_URL"]
        if env_file is not None
        else _attach(root).database_url()
    )
    engine = make_engine(url)
    try:
        rows = ReleaseStore(engine).history(limit)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        return
    table = Table(title="배포 기록")
    for column in ("#", "시작", "빌드", "배포한 사람", "결과", "사유", "결정(초)"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["started_at"].isoformat(timespec="seconds"),
            row["build_id"],
            row["who"],
            row["outcome"],
            f"{row['code']}: {row['reason']}",
            "-" if row["decision_seconds"] is None else f"{row['decision_seconds']:.1f}",
        )
    console.print(table)
