"""The release's schema gate with real builds, each asked through its own Python.

Three builds beside each other: the current code (serving), the current code plus an
expand revision, and the current code plus a contract revision. On a database the current
code migrated and filled: the contract build is refused while the current one serves, and
its revision is named; it is allowed once it alone serves, and ``minwon db contract``
refuses and then applies alike. The expand build is allowed; ``expand`` applies its
revision with its own code, and the build that served before still serves on the result.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from minwon.bootstrap import bootstrap
from minwon.config import Settings
from minwon.issuance.verification import VerificationStatus, verify_number
from minwon.operations.release.builds import Build, prepare
from minwon.operations.release.schema import BuildSchemaGate, SchemaGateError
from support.release_builds import REPO, issue_deungbon, serving_build, with_migration
from support.served import Served, clean_env, demo_folder

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ADD_COLUMN = """
with op.batch_alter_table("issuances") as batch:
    batch.add_column(sa.Column("gate_note", sa.String(40), nullable=True))
"""
DROP_INDEX = 'op.drop_index("ix_notifications_resident", table_name="notifications")'


@dataclass
class Builds:
    current: Build
    expanding: Build
    contracting: Build
    revision: str  # the one each new build adds
    template: Path  # a data folder at the current head with demo data


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("gate")
    releases = root / "releases"
    expanding, revision = with_migration(root / "expanding", "expand", ADD_COLUMN)
    contracting, _ = with_migration(root / "contracting", "contract", DROP_INDEX)
    demo_folder(root / "template" / "data", residents=30, seed=11)
    return Builds(
        prepare(REPO, releases),
        prepare(expanding, releases),
        prepare(contracting, releases),
        revision,
        root / "template" / "data",
    )


@pytest.fixture
def data(builds: Builds, tmp_path: Path) -> Iterator[Served]:
    """A copy of the template data folder (each test changes its schema)."""
    folder = tmp_path / "data"
    shutil.copytree(builds.template, folder)
    env = {**clean_env(folder), "MINWON_DATABASE_URL": f"sqlite:///{folder / 'minwon.sqlite3'}"}
    yield Served("", folder, tmp_path / "setup.log", env)


def _db(
    build: Build, data: Served, *args: str, entry: str = "minwon.cli.db"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [build.python, "-m", entry, *(("db",) if entry == "minwon.cli.main" else ()), *args],
        env=data.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_contract_waits_while_an_older_build_serves(builds: Builds, data: Served) -> None:
    gate = BuildSchemaGate(data.env)
    new, old = builds.contracting, builds.current
    status = json.loads(_db(new, data, "status", "--json").stdout)
    assert status["pending"] == [
        {"revision": builds.revision, "phase": "contract", "doc": "a test contract revision"}
    ]
    assert status["usable"] is True  # the build that ships a contract runs before it too

    assert gate.refusal(new, [old]) is None  # the rollout may go on...
    assert gate.pending_contracts(new) == [builds.revision]
    assert gate.expand(new) == []  # ...and never applies the contract
    with pytest.raises(SchemaGateError) as refused:
        gate.contract(new, [old])  # not while the old build serves
    assert refused.value.code == "schema.contract_refused"
    assert builds.revision in refused.value.message and old.id in refused.value.message
    done = _db(new, data, "contract", "--serving", old.python)
    assert done.returncode == 1 and "db.contract_refused" in done.stderr, done.stderr
    assert builds.revision in done.stderr
    assert _db(new, data, "contract").returncode == 2  # who serves must be said

    assert gate.refusal(new, [new]) is None  # every serving build is the new one
    assert gate.refusal(new, []) is None
    assert gate.contract(new, [new]) == [builds.revision]
    assert json.loads(_db(new, data, "status", "--json").stdout)["pending"] == []


def test_expand_is_allowed_and_the_previous_build_still_serves(
    builds: Builds, data: Served, tmp_path: Path
) -> None:
    gate = BuildSchemaGate(data.env)
    new, old = builds.expanding, builds.current
    assert gate.refusal(new, [old]) is None
    assert gate.expand(new) == [builds.revision]
    assert gate.expand(new) == []
    assert json.loads(_db(old, data, "status", "--json").stdout)["ahead"] is True

    with serving_build(old, data, tmp_path / "old.log") as served:
        assert httpx.get(f"{served.base}/readyz", timeout=5).status_code == 200
        number, _ = issue_deungbon(served, "gate-expand-0001")
    settings = Settings.from_env(
        data_dir=data.data_dir,
        database_url=data.env["MINWON_DATABASE_URL"],
        keys_dir=data.data_dir / "keys",
    )
    container = bootstrap(settings)
    try:
        assert verify_number(container.issuance, number_text=number).status is (
            VerificationStatus.VALID
        )
    finally:
        container.close()


def test_db_status_speaks_plain_korean(builds: Builds, data: Served) -> None:
    done = _db(builds.contracting, data, "status", entry="minwon.cli.main")  # `minwon db`
    assert done.returncode == 0, done.stderr
    assert "축소(contract)" in done.stdout and builds.revision in done.stdout
    (data.data_dir / "minwon.sqlite3").unlink()
    missing = _db(builds.current, data, "status")
    assert missing.returncode == 1 and "db.unreachable" in missing.stderr
    assert "Traceback" not in missing.stderr
