"""Each migration's declared phase is checked on a real database, not trusted: an empty
database is upgraded revision by revision on SQLite and PostgreSQL, its schema reflected
before and after each, and no expand revision may break the previous release. A
deliberately bad expand revision, in a copy of the scripts, is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import (
    create_database,
    packaged_revisions,
    packaged_scripts,
    revisions,
    upgrade,
)
from minwon.adapters.schema_phases import Violation, check_migrations

BAD = '''"""a deliberately bad expand revision (test)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None
phase = "{phase}"


def upgrade() -> None:
    with op.batch_alter_table("seal_registrations") as batch:
        batch.drop_column("impression_png")
    with op.batch_alter_table("issuances") as batch:
        batch.alter_column("pdf_sha256", existing_type=sa.String(64), nullable=False)
    op.drop_index("ix_notifications_resident", table_name="notifications")
    with op.batch_alter_table("issuance_applicants") as batch:
        batch.alter_column("purpose", existing_type=sa.String(200), type_=sa.String(20))


def downgrade() -> None:
    pass
'''


def _engine(url: str) -> Engine:
    create_database(url)
    return make_engine(url, pool_size=1)


def _check(engine: Engine, scripts: str | None = None) -> list[Violation]:
    steps = [(r.revision, r.phase) for r in revisions(scripts)]
    return check_migrations(engine, steps, lambda rev: upgrade(engine, rev, scripts=scripts))


def test_no_expand_revision_breaks_the_previous_release(database_url: str) -> None:
    engine = _engine(database_url)
    try:
        found = _check(engine)
    finally:
        engine.dispose()
    assert [str(v) for v in found] == []
    # 0003 is the one contract so far: the check finds what made it one.
    assert {r.revision for r in packaged_revisions() if r.phase == "contract"} == {"0003"}


def _scripts_with(tmp_path: Path, phase: str) -> tuple[str, str]:
    scripts = tmp_path / "migrations"
    shutil.copytree(packaged_scripts(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = packaged_revisions()[-1].revision
    bad = f"{int(head) + 1:04d}"
    (scripts / "versions" / f"{bad}_bad.py").write_text(
        BAD.format(revision=bad, down=head, phase=phase), encoding="utf-8"
    )
    return str(scripts), bad


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_a_bad_expand_revision_is_caught_and_a_contract_may_do_the_same(
    tmp_path: Path, phase: str
) -> None:
    scripts, bad = _scripts_with(tmp_path, phase)
    engine = _engine(f"sqlite:///{tmp_path / 'bad.sqlite3'}")
    try:
        found = _check(engine, scripts)
    finally:
        engine.dispose()
    codes = {(v.revision, v.code, v.name) for v in found}
    if phase == "contract":
        assert codes == set()
        return
    assert {
        (bad, "column.dropped", "impression_png"),
        (bad, "column.not_null", "pdf_sha256"),
        (bad, "index.dropped", "ix_notifications_resident"),
        (bad, "column.narrowed", "purpose"),
    } <= codes
    assert all(v.revision == bad for v in found)
    assert any("impression_png" in str(v) and bad in str(v) for v in found)


def test_a_revision_without_a_phase_is_reported(tmp_path: Path) -> None:
    scripts, bad = _scripts_with(tmp_path, "expand")
    path = next(Path(scripts, "versions").glob(f"{bad}_*.py"))
    path.write_text(path.read_text().replace('phase = "expand"\n', ""), encoding="utf-8")
    assert [r.phase for r in revisions(scripts)][-1] is None
    engine = _engine(f"sqlite:///{tmp_path / 'none.sqlite3'}")
    try:
        found = _check(engine, scripts)
    finally:
        engine.dispose()
    assert [(v.revision, v.code) for v in found] == [(bad, "phase.missing")]
