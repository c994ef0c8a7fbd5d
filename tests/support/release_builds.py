"""Builds for the schema tests: the previous release from the repository's own history,
the current code with one more migration, and a build's server on a free port."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from minwon.adapters.migrate import packaged_revisions
from minwon.operations.release.builds import Build
from support.served import Served, start, stop

REPO = Path(__file__).resolve().parents[2]
VERSIONS = "src/minwon/migrations/versions"


def _unavailable(reason: str) -> None:
    """Skips locally; fails in CI (CI=true), where a test must never vanish silently."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the previous release cannot be rebuilt in CI: {reason}", pytrace=False)
    pytest.skip(f"previous release unavailable ({reason}); in CI (CI=true) this is a failure")


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        _unavailable(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def previous_release() -> tuple[str, str]:
    """Returns (commit, newest migration file): the code as of the commit before the newest
    migration was added (HEAD itself while that migration is not committed yet)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        _unavailable("no git checkout")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        _unavailable("a shallow clone has no history (git fetch --unshallow)")
    newest = sorted(p.name for p in (REPO / VERSIONS).glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]
    added = _git("log", "-n1", "--format=%H", "--", f"{VERSIONS}/{newest}")
    return (_git("rev-parse", f"{added}^") if added else _git("rev-parse", "HEAD")), newest


def materialise(commit: str, into: Path) -> Path:
    """Writes the ``src`` tree of `commit` into `into` (``git archive``); returns it."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def with_migration(into: Path, phase: str, upgrade_body: str) -> tuple[Path, str]:
    """Copies the current ``src/minwon`` into `into` with one more migration of `phase`
    whose ``upgrade()`` is `upgrade_body`; returns the tree and the new revision."""
    package = into / "src" / "minwon"
    shutil.copytree(REPO / "src" / "minwon", package, ignore=shutil.ignore_patterns("__pycache__"))
    head = packaged_revisions()[-1].revision
    revision = f"{int(head) + 1:04d}"
    body = "\n".join("    " + line for line in upgrade_body.strip().splitlines())
    (package / "migrations" / "versions" / f"{revision}_test_{phase}.py").write_text(
        f'"""a test {phase} revision"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{revision}"\ndown_revision = "{head}"\n'
        f'branch_labels = None\ndepends_on = None\nphase = "{phase}"\n\n\n'
        f"def upgrade() -> None:\n{body}\n\n\ndef downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )
    return into, revision


def build_command(build: Build) -> tuple[str, ...]:
    return (build.python, "-m", "minwon.cli.main")


@contextmanager
def serving_build(build: Build, setup: Served, log: Path) -> Iterator[Served]:
    """`build`'s ``minwon serve`` on `setup`'s data folder, stopped by PID afterwards."""
    process, base = start(setup.env, log, minwon=build_command(build))
    try:
        yield Served(base, setup.data_dir, log, {**setup.env, "MINWON_PUBLIC_BASE_URL": base})
    finally:
        stop(process)


def issue_deungbon(served: Served, key: str) -> tuple[str, bytes]:
    """citizen1's 등본 from `served`: its document number and PDF."""
    response = httpx.post(
        f"{served.base}/api/v1/issuances",
        json={"document_type": "deungbon"},
        headers={**served.login("citizen1"), "Idempotency-Key": key, "Accept": "application/pdf"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.content.startswith(b"%PDF")
    return response.headers["Minwon-Document-Number"], response.content


def next_version(out: Path, version: str) -> Path:
    """Returns a source tree at `out`: the running code, numbered `version` (a good
    build that differs from the running one)."""
    from minwon.operations.cluster.releasing import RUNNING_SOURCE
    from minwon.operations.release.builds import package_dir

    shutil.copytree(package_dir(RUNNING_SOURCE), out / "src" / "minwon")
    init = out / "src" / "minwon" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    numbered = re.sub(r'^__version__ = "[^"]+"', f'__version__ = "{version}"', text, flags=re.M)
    assert numbered != text, "the running code has no __version__ line to change"
    init.write_text(numbered, encoding="utf-8")
    return out
