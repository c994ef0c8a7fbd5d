"""``minwon db``: the schema's migrations under expand and contract.

``status`` shows where the database is and what this code would still apply, each with
its phase; ``expand`` applies the pending expand revisions up to the first contract one
(safe while older builds serve); ``contract`` applies the rest, refusing while a serving
build older than a contract revision (one that does not ship it) is named. A release
runs these with the new build's own Python (operations/release/schema.py); ``--json``
is what it reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import (
    Revision,
    current_revision,
    is_ahead,
    packaged_revisions,
    pending,
    schema_usable,
    upgrade_step_by_step,
)
from minwon.cli.plain import console, fail
from minwon.config import Settings, SettingsError
from minwon.operations.release.builds import Build, BuildError
from minwon.operations.release.builds import load as load_build
from minwon.operations.release.schema import (
    CONTRACT,
    EXPAND,
    BuildSchemaGate,
    Pending,
    SchemaStatus,
    blocked,
)

app = typer.Typer(
    help="데이터베이스 스키마: 마이그레이션 상태, 확장(expand)·축소(contract) 적용.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="기계가 읽는 JSON으로 출력")]
PHASE_LABELS = {EXPAND: "확장(expand)", CONTRACT: "축소(contract)"}


@contextmanager
def _engine() -> Iterator[Engine]:
    try:
        url = Settings.from_env().database.url
    except SettingsError as exc:
        fail(exc.detail, exc.code, exit_code=2)
    engine = make_engine(url, pool_size=1)
    try:
        yield engine
    except SQLAlchemyError as exc:
        fail(f"데이터베이스를 읽거나 바꾸지 못했습니다: {exc.__class__.__name__}", "db.failed")
    finally:
        engine.dispose()


def _current(engine: Engine) -> str | None:
    try:
        return current_revision(engine)
    except SQLAlchemyError:
        fail(
            "데이터베이스에 연결할 수 없습니다 (없으면 먼저 `minwon init`을 실행하세요).",
            "db.unreachable",
        )


def _status(engine: Engine) -> SchemaStatus:
    known = packaged_revisions()
    current = _current(engine)
    waiting = [Pending(r.revision, r.phase, r.doc) for r in pending(current, known)]
    return SchemaStatus(current, known[-1].revision, waiting, is_ahead(current, known))


def _status_json(status: SchemaStatus) -> dict[str, object]:
    return {
        "current": status.current,
        "head": status.head,
        "ahead": status.ahead,
        "usable": schema_usable(status.current),
        "pending": [
            {"revision": p.revision, "phase": p.phase, "doc": p.doc} for p in status.pending
        ],
    }


@app.command("revisions", hidden=True)
def revisions(as_json: JsonOption = False) -> None:
    """이 코드가 가진 마이그레이션을 단계와 함께 보입니다 (데이터베이스 없이)."""
    known: tuple[Revision, ...] = packaged_revisions()
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in known], ensure_ascii=False))
        return
    for r in known:
        console.print(f"{r.revision}  {PHASE_LABELS.get(r.phase or '', '단계 없음')}  {r.doc}")


@app.command("status")
def status(as_json: JsonOption = False) -> None:
    """데이터베이스의 현재 리비전과 이 코드가 아직 적용하지 않은 마이그레이션(단계별)을 보입니다."""
    with _engine() as engine:
        found = _status(engine)
    if as_json:
        typer.echo(json.dumps(_status_json(found), ensure_ascii=False))
        return
    console.print(f"현재 리비전: {found.current or '(없음)'}   이 코드의 최신: {found.head}")
    if found.ahead:
        console.print("데이터베이스가 이 코드보다 새 버전의 스키마입니다 (새 빌드가 확장함).")
    if not found.pending:
        console.print("적용할 마이그레이션이 없습니다.")
    else:
        table = Table(title="대기 중인 마이그레이션")
        for column in ("리비전", "단계", "내용"):
            table.add_column(column)
        for p in found.pending:
            table.add_row(p.revision, PHASE_LABELS.get(p.phase or "", "단계 없음"), p.doc)
        console.print(table)
    ok = "예" if schema_usable(found.current) else "아니오 (`minwon db expand`가 필요)"
    console.print(f"이 코드가 지금 스키마에서 동작함: {ok}")


def _targets(found: SchemaStatus) -> list[Revision]:
    by_id = {r.revision: r for r in packaged_revisions()}
    return [by_id[p.revision] for p in found.pending]


@app.command("expand")
def expand(as_json: JsonOption = False) -> None:
    """대기 중인 확장(expand) 마이그레이션을 첫 축소(contract) 마이그레이션 앞까지 적용합니다.
    이전 버전이 실행 중이어도 안전합니다."""
    with _engine() as engine:
        found = _status(engine)
        undeclared = [p.revision for p in found.pending if p.phase not in (EXPAND, CONTRACT)]
        if undeclared:
            fail(f"단계(phase)가 없는 마이그레이션: {', '.join(undeclared)}", "db.phase_missing")
        safe = found.expands_before_contract()
        applied = upgrade_step_by_step(engine, _targets(SchemaStatus(None, "", safe)))
    waiting = found.pending[len(safe) :]
    if as_json:
        typer.echo(
            json.dumps(
                {"applied": applied, "waiting": [p.revision for p in waiting]}, ensure_ascii=False
            )
        )
        return
    console.print(
        f"확장 마이그레이션 {', '.join(applied)}을(를) 적용했습니다."
        if applied
        else "적용할 확장 마이그레이션이 없습니다."
    )
    if waiting:
        console.print(
            f"남은 마이그레이션 {', '.join(p.revision for p in waiting)}: 축소(contract) "
            "마이그레이션부터는 이전 빌드가 모두 멈춘 뒤 `minwon db contract`로 적용합니다."
        )


def _serving_build(path: Path) -> Build:
    if path.is_dir():
        try:
            return load_build(path)
        except BuildError as exc:
            fail(str(exc), "db.serving_unreadable", 2)
    if not path.is_file():
        fail(f"빌드 폴더나 Python 실행 파일이 아닙니다: {path}", "db.serving_unreadable", 2)
    return Build(str(path), "", "", str(path))


@app.command("contract")
def contract(
    serving: Annotated[
        list[Path] | None,
        typer.Option(
            "--serving",
            help="지금 실행 중인 다른 빌드 (빌드 폴더 또는 그 Python), 모두 (여러 번)",
        ),
    ] = None,
    only_this_build: Annotated[
        bool,
        typer.Option("--only-this-build", help="이 코드 말고 실행 중인 빌드가 없음을 확인함"),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """대기 중인 마이그레이션을 축소(contract) 단계까지 모두 적용합니다. 실행 중인 빌드를
    --serving으로 모두 알려 주세요: 축소 마이그레이션을 모르는 빌드가 하나라도 있으면
    거부합니다 (그 빌드가 지워질 열·표를 쓸 수 있습니다)."""
    if not serving and not only_this_build:
        fail(
            "실행 중인 빌드를 --serving으로 모두 알려 주세요 "
            "(이 코드 말고 없으면 --only-this-build).",
            "db.serving_unknown",
            2,
        )
    builds = [_serving_build(p) for p in serving or []]
    gate = BuildSchemaGate()
    with _engine() as engine:
        found = _status(engine)
        undeclared = [p.revision for p in found.pending if p.phase not in (EXPAND, CONTRACT)]
        if undeclared:
            fail(f"단계(phase)가 없는 마이그레이션: {', '.join(undeclared)}", "db.phase_missing")
        stopped = blocked(found.contracts(), {b.id: gate.known_revisions(b) for b in builds})
        if stopped:
            who = sorted({b for ids in stopped.values() for b in ids})
            fail(
                f"축소(contract) 마이그레이션 {', '.join(stopped)}을(를) 모르는 빌드 "
                f"{', '.join(who)}이(가) 아직 실행 중입니다: 그 인스턴스를 모두 새 빌드로 "
                "바꾼 뒤 다시 실행하세요.",
                "db.contract_refused",
            )
        applied = upgrade_step_by_step(engine, _targets(found))
    if as_json:
        typer.echo(json.dumps({"applied": applied}, ensure_ascii=False))
        return
    console.print(
        f"마이그레이션 {', '.join(applied)}을(를) 적용했습니다."
        if applied
        else "적용할 마이그레이션이 없습니다."
    )


if __name__ == "__main__":
    app()
