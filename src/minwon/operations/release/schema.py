"""The schema gate of a release (``ports.SchemaGate``): expand before, contract only when
no older build serves.

Each build speaks for its own migrations: the gate runs the build's Python
(``minwon db status --json``, ``minwon db expand --json``), because a new build may ship
migrations the code running the release has never seen. The database is the one the apps
use: ``MINWON_DATABASE_URL`` (or ``MINWON_DATA_DIR``) of the environment given.

A rollout applies only *expand* revisions; a pending *contract* revision waits, and is
applied by ``contract`` only once no serving build lacks it: an older build's code was
written before the revision and may still use what it removes (adapters/schema_phases.py
says what each phase may change).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

from minwon.operations.release.builds import Build

CONTRACT = "contract"
EXPAND = "expand"
ENTRY = ("-m", "minwon.cli.db")  # ``minwon db``, without loading every other command
# Builds made before ``minwon db`` existed still list their revisions this way.
_LEGACY_LISTING = (
    "import json\n"
    "from alembic.script import ScriptDirectory\n"
    "from minwon.adapters.migrate import alembic_config\n"
    "script = ScriptDirectory.from_config(alembic_config('sqlite://'))\n"
    "print(json.dumps([r.revision for r in script.walk_revisions()]))\n"
)


class SchemaGateError(Exception):
    """A build's migrations could not be read or applied: a stable code and Korean text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Pending:
    """A revision the build ships that the database does not have yet."""

    revision: str
    phase: str | None
    doc: str = ""


@dataclass(frozen=True)
class SchemaStatus:
    """The database as one build sees it (``minwon db status --json`` of that build)."""

    current: str | None
    head: str
    pending: list[Pending]
    ahead: bool = False  # the database is at a revision newer than the build knows

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SchemaStatus:
        raw = data.get("pending")
        pending = [
            Pending(str(p["revision"]), p.get("phase"), str(p.get("doc") or ""))
            for p in (raw if isinstance(raw, list) else [])
            if isinstance(p, dict)
        ]
        current = data.get("current")
        return cls(
            str(current) if current is not None else None,
            str(data.get("head") or ""),
            pending,
            bool(data.get("ahead")),
        )

    def contracts(self) -> list[Pending]:
        return [p for p in self.pending if p.phase == CONTRACT]

    def expands_before_contract(self) -> list[Pending]:
        """The pending expand revisions before the first contract one: what ``expand``
        may apply while older builds serve."""
        found = []
        for p in self.pending:
            if p.phase != EXPAND:
                break
            found.append(p)
        return found


def blocked(contracts: list[Pending], knowledge: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Returns, for each contract revision, the serving builds (by id) that do not ship
    it; `knowledge` maps each serving build's id to the revisions it ships."""
    found: dict[str, list[str]] = {}
    for contract in contracts:
        builds = sorted(b for b, known in knowledge.items() if contract.revision not in known)
        if builds:
            found[contract.revision] = builds
    return found


def refusal_reason(build_id: str, status: SchemaStatus) -> str | None:
    """Why build `build_id` may not roll out on a database in `status`; None if it may.

    A pending contract revision does not stop a rollout: it is never applied while the
    rollout runs (``expand`` stops before it), and the new build runs without it. It is
    applied afterwards by ``contract``, which ``contract_refusal`` guards. Pure."""
    unknown = [p.revision for p in status.pending if p.phase not in (EXPAND, CONTRACT)]
    if unknown:
        return (
            f"빌드 {build_id}의 마이그레이션 {', '.join(unknown)}에 단계(expand·contract)가 "
            "없습니다: 단계를 밝히기 전에는 배포하지 않습니다."
        )
    behind = status.pending[len(status.expands_before_contract()) :]
    late = [p.revision for p in behind if p.phase == EXPAND]
    if late:
        first = status.contracts()[0].revision
        return (
            f"확장 마이그레이션 {', '.join(late)}이(가) 축소 마이그레이션 {first} 뒤에 있습니다: "
            f"먼저 `minwon db contract`로 {first}까지 적용한 뒤 배포하세요."
        )
    return None


def contract_refusal(
    build_id: str, status: SchemaStatus, knowledge: Mapping[str, set[str]]
) -> str | None:
    """Why `build_id`'s pending contract revisions may not be applied while the builds of
    `knowledge` serve (one that does not ship a revision may still use what it removes);
    None if they may. Pure."""
    stopped = blocked(status.contracts(), {b: k for b, k in knowledge.items() if b != build_id})
    if not stopped:
        return None
    who = sorted({b for builds in stopped.values() for b in builds})
    return (
        f"축소(contract) 마이그레이션 {', '.join(stopped)}을(를) 모르는 이전 빌드 "
        f"{', '.join(who)}이(가) 아직 실행 중입니다. 이전 빌드가 쓰는 열·표를 지울 수 있어 "
        "적용하지 않습니다: 모든 인스턴스가 이 마이그레이션을 아는 빌드로 바뀐 뒤 적용하세요."
    )


def _env(environ: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    env.pop("PYTHONPATH", None)  # the build's own code comes first, nothing else's
    env.setdefault("COLUMNS", "200")
    return env


@dataclass
class BuildSchemaGate:
    """``SchemaGate`` over the database of `environ`, asking each build's own Python."""

    environ: Mapping[str, str] | None = None
    timeout: float = 300.0
    # What ``refusal`` just read, for the ``expand`` that follows it (one Python start
    # fewer per release); taken once.
    _seen: dict[str, SchemaStatus] = field(default_factory=dict)

    def _run(self, build: Build, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [build.python, *ENTRY, *args],
            env=_env(self.environ),
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )

    def _json(self, build: Build, code: str, *args: str) -> object:
        done = self._run(build, *args)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise SchemaGateError(
                code,
                f"빌드 {build.id}의 `minwon db {args[0]}`가 실패했습니다: "
                + (said[-1] if said else f"종료 코드 {done.returncode}"),
            )
        try:
            return json.loads(done.stdout)
        except ValueError as exc:
            raise SchemaGateError(
                code, f"빌드 {build.id}의 `minwon db {args[0]}` 출력을 읽지 못했습니다."
            ) from exc

    def status(self, build: Build) -> SchemaStatus:
        """The database as `build` sees it: its current revision and `build`'s pending ones."""
        data = self._json(build, "schema.status_failed", "status", "--json")
        if not isinstance(data, dict):
            raise SchemaGateError("schema.status_failed", f"빌드 {build.id}의 상태가 이상합니다.")
        return SchemaStatus.from_json(data)

    def known_revisions(self, build: Build) -> set[str]:
        """The revisions `build` ships (an empty set if they cannot be read: such a build
        then holds back every contract revision, the safe side)."""
        done = self._run(build, "revisions", "--json")
        if done.returncode != 0:  # a build older than ``minwon db``
            done = subprocess.run(
                [build.python, "-c", _LEGACY_LISTING],
                env=_env(self.environ),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        try:
            listed = json.loads(done.stdout) if done.returncode == 0 else []
        except ValueError:
            return set()
        return {str(r["revision"] if isinstance(r, dict) else r) for r in listed}

    def knowledge(self, build: Build, serving: list[Build]) -> dict[str, set[str]]:
        """What each serving build other than `build` ships."""
        return {s.id: self.known_revisions(s) for s in serving if s.id != build.id}

    def refusal(self, build: Build, serving: list[Build]) -> str | None:
        """Why `build` may not roll out now (see ``refusal_reason``); None if it may."""
        try:
            status = self.status(build)
        except SchemaGateError as exc:
            return exc.message
        self._seen[build.id] = status
        return refusal_reason(build.id, status) if status.pending else None

    def pending_contracts(self, build: Build) -> list[str]:
        """The contract revisions `build` ships that the database does not have yet."""
        return [p.revision for p in self.status(build).contracts()]

    def expand(self, build: Build) -> list[str]:
        """Applies the build's pending expand revisions up to the first contract one, with
        the build's own code; SchemaGateError if it cannot. Asks the build first, and
        starts nothing more when none is pending (most releases)."""
        seen = self._seen.pop(build.id, None) or self.status(build)
        if not seen.expands_before_contract():
            return []
        data = self._json(build, "schema.expand_failed", "expand", "--json")
        applied = data.get("applied") if isinstance(data, dict) else None
        return [str(r) for r in applied] if isinstance(applied, list) else []

    def contract(self, build: Build, serving: list[Build]) -> list[str]:
        """Applies every pending revision of `build`, contract ones included, once no
        serving build is older than them (after a release has replaced every instance);
        SchemaGateError with the refusal otherwise."""
        status = self.status(build)
        reason = contract_refusal(build.id, status, self.knowledge(build, serving))
        if reason:
            raise SchemaGateError("schema.contract_refused", reason)
        args = ["contract", "--json"]
        others = [s for s in serving if s.id != build.id]
        for s in others:
            args += ["--serving", s.python]
        if not others:
            args.append("--only-this-build")
        data = self._json(build, "schema.contract_failed", *args)
        applied = data.get("applied") if isinstance(data, dict) else None
        return [str(r) for r in applied] if isinstance(applied, list) else []
