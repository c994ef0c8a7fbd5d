"""``minwon ops``: the incidents of the local cluster at ``--root``.

``watch`` is the watcher (started by ``minwon cluster up``; a systemd unit on real
hosts) that records every fault by itself; ``incidents`` lists them; ``note`` adds an
operator's root cause, prevention step, comment or public statement (the only kind the
public status page /status shows), kept with who wrote it and when; ``edge add|remove|
list`` registers app balancers outside the cluster (a kiosk network's) for the watcher.
Exit codes: 0 done, 1 failed, 2 nothing to act on (no cluster, no such incident).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli.options import DEFAULT_ROOT, RootOption
from minwon.cli.plain import console, fail
from minwon.operations.cluster.balancer import APPS_BACKEND
from minwon.operations.cluster.control import STATE_FILE
from minwon.operations.cluster.errors import ClusterNotFoundError
from minwon.operations.incidents.edges import NAME, Edge, look_at_edge, read_edges, write_edges
from minwon.operations.incidents.local import local_incidents, local_watcher
from minwon.operations.incidents.model import IncidentRecord, Note, NoteKind

app = typer.Typer(help="장애 기록: 감시자가 남긴 장애 목록과 운영자 메모.", no_args_is_help=True)


def _local(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="milliseconds")


def _record_dict(record: IncidentRecord) -> dict[str, object]:
    return {**record.incident.to_dict(), "notes": [n.to_dict() for n in record.notes]}


@app.command("watch")
def watch(root: RootOption = DEFAULT_ROOT) -> None:
    """(내부용) 장애를 스스로 기록하는 감시자: `cluster up`이 띄우고 `down`이 내립니다."""
    try:
        watcher = local_watcher(root)
    except ClusterNotFoundError:
        fail(f"{root}에 클러스터 상태가 없습니다.", "cluster.none", 2)
    watcher.run()


@app.command("incidents")
def incidents(
    root: RootOption = DEFAULT_ROOT,
    limit: Annotated[int, typer.Option(min=1, help="최근 몇 건")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON으로 출력")] = False,
) -> None:
    """장애 목록: 구성요소, 원인 분류, 시작·끝, 발급 공백, 운영자 메모."""
    try:
        store, engine = local_incidents(root)
    except ClusterNotFoundError:
        fail(f"{root}에 클러스터 상태가 없습니다.", "cluster.none", 2)
    try:
        records = store.records(limit=limit)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([_record_dict(r) for r in records], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"장애 기록 ({len(records)}건)")
    for column in ("ID", "구성요소", "원인", "상세", "시작", "지속(초)", "발급 공백(초)", "메모"):
        table.add_column(column)
    for r in records:
        i = r.incident
        table.add_row(
            i.id[:8],
            i.component,
            i.cause.value,
            i.cause_detail,
            _local(i.started_at),
            "진행 중" if i.duration is None else f"{i.duration:.2f}",
            "-" if i.issuance_gap_seconds is None else f"{i.issuance_gap_seconds:.2f}",
            "\n".join(f"{n.kind.value} ({n.author}, {_local(n.at)}): {n.text}" for n in r.notes),
        )
    console.print(table)


@app.command("note")
def note(
    incident_id: Annotated[str, typer.Argument(help="장애 ID (앞부분만 써도 됩니다)")],
    by: Annotated[str, typer.Option("--by", help="작성자")],
    root_cause: Annotated[str, typer.Option("--root-cause", help="근본 원인")] = "",
    prevention: Annotated[str, typer.Option("--prevention", help="재발 방지 조치")] = "",
    comment: Annotated[str, typer.Option("--comment", help="그 밖의 메모")] = "",
    public: Annotated[
        str,
        typer.Option("--public", help="대외 안내문: 공개 상태 페이지(/status)에 그대로 실립니다"),
    ] = "",
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """장애에 근본 원인·재발 방지 조치·메모·대외 안내문을 남깁니다 (작성자와 시각이 함께
    남습니다). 대외 안내문(--public)만 공개 상태 페이지에 실리고, 나머지는 내부용입니다."""
    texts = [
        (kind, text.strip())
        for kind, text in (
            (NoteKind.ROOT_CAUSE, root_cause),
            (NoteKind.PREVENTION, prevention),
            (NoteKind.COMMENT, comment),
            (NoteKind.PUBLIC, public),
        )
        if text.strip()
    ]
    if not texts or not by.strip():
        fail(
            "--root-cause, --prevention, --comment, --public 중 하나와 --by가 필요합니다.",
            "ops.note",
            2,
        )
    try:
        store, engine = local_incidents(root)
    except ClusterNotFoundError:
        fail(f"{root}에 클러스터 상태가 없습니다.", "cluster.none", 2)
    try:
        found = [r.incident for r in store.records(limit=10_000)]
        matches = [i for i in found if i.id.startswith(incident_id.strip())]
        if len(matches) != 1:
            what = "없습니다" if not matches else "여럿입니다"
            fail(f"ID가 {incident_id}(으)로 시작하는 장애가 {what}.", "ops.incident", 2)
        stored = True
        for kind, text in texts:
            added = Note.new(matches[0].id, author=by.strip(), kind=kind, text=text, at=time.time())
            stored = store.add_note(added) and stored
    finally:
        engine.dispose()
    where = "" if stored else " (데이터베이스가 응답하지 않아 로컬 기록에; 나중에 합쳐집니다)"
    console.print(f"장애 {matches[0].id[:8]}에 메모 {len(texts)}건을 남겼습니다{where}.")


edge_app = typer.Typer(
    help="클러스터 밖의 부하분산기(무인민원발급기망 등)를 감시자에 등록합니다.",
    no_args_is_help=True,
)
app.add_typer(edge_app, name="edge")


@edge_app.command("add")
def edge_add(
    name: Annotated[str, typer.Argument(help="이름 (영문 소문자·숫자·-·_, 32자까지)")],
    admin_socket: Annotated[
        str, typer.Option("--admin-socket", help="그 HAProxy의 런타임 API 소켓 경로")
    ],
    backend: Annotated[str, typer.Option(help="앱 서버들이 있는 backend/listen 이름")] = (
        APPS_BACKEND
    ),
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """부하분산기를 등록합니다: 감시자가 다음 회차부터 그 서버 점검 결과를 장애로 기록합니다."""
    if not NAME.match(name):
        fail("이름은 영문 소문자·숫자·-·_로 32자까지입니다.", "ops.edge_name", 2)
    if not (root / STATE_FILE).exists():
        fail(f"{root}에 클러스터 상태가 없습니다.", "cluster.none", 2)
    edges = [e for e in read_edges(root) if e.name != name]
    write_edges(root, [*edges, Edge(name, str(Path(admin_socket).absolute()), backend)])
    console.print(f"부하분산기 {name}을(를) 등록했습니다 ({admin_socket}).")


@edge_app.command("remove")
def edge_remove(
    name: Annotated[str, typer.Argument(help="등록한 이름")],
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """등록을 지웁니다: 그 부하분산기에 열린 장애는 그 자리에서 끝납니다."""
    edges = read_edges(root)
    if name not in {e.name for e in edges}:
        fail(f"{name}(이)라는 부하분산기가 등록되어 있지 않습니다.", "ops.edge_unknown", 2)
    write_edges(root, [e for e in edges if e.name != name])
    console.print(f"부하분산기 {name}의 등록을 지웠습니다.")


@edge_app.command("list")
def edge_list(root: RootOption = DEFAULT_ROOT) -> None:
    """등록된 부하분산기와 지금 점검에 실패한 서버."""
    for edge in read_edges(root):
        look = look_at_edge(edge)
        state = "응답 없음" if not look.answered else (", ".join(look.failing) or "정상")
        console.print(f"{edge.name}\t{edge.admin_socket}\t{edge.backend}\t{state}")
