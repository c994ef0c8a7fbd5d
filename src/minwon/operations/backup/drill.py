"""A point-in-time recovery drill that proves itself (``minwon dr drill --to TIME``).

The drill restores the newest backup that ended before TIME into a scratch instance,
replays the WAL archive up to TIME, and compares the copy with the live cluster: every
issuance, fee and audit event whose transaction *committed* at or before TIME must be
there with the same content, none committed after. Commit times are PostgreSQL's own
(``track_commit_timestamp``): the very timestamps ``recovery_target_time`` compares, so
the boundary is exact. An issuance is acknowledged only after its commit, so every one
acknowledged at or before TIME is among them.

This module is the use case and its pure parts (reading TIME, choosing the backup,
judging the counts); the parts it drives are ports: the repository, the scratch
instance (``scratch.py``), the live and restored ledgers (``proof.py``) and the journal
that records every drill (``adapters/drill_store.py``). Nothing here talks to Patroni or
etcd, and the scratch instance never archives.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

from minwon.operations.backup.info import BackupRecord

# What is proved, in this order: the issuance, then what its transaction also wrote.
PROVED_TABLES: tuple[str, ...] = ("issuances", "fees", "audit_events")
# pgBackRest keeps a backup's stop time in whole seconds: a backup counts as ended before
# TIME only when it stopped a full second earlier, so recovery is consistent by then.
BACKUP_MARGIN = timedelta(seconds=1)


class DrillError(RuntimeError):
    """The drill was refused or could not run; `code` is stable, `detail` Korean."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def parse_target(text: str, *, local: tzinfo) -> datetime:
    """Returns TIME as an aware moment: ISO 8601 (``2026-12-04T09:30:00+09:00``,
    ``…Z``); a time without an offset is taken in `local` (the host's time zone)."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        raise DrillError(
            "dr.time",
            f"시각을 읽을 수 없습니다: {text!r} (예: 2026-12-04T09:30:00+09:00)",
        ) from None
    return moment.replace(tzinfo=local) if moment.tzinfo is None else moment


def choose_backup(
    backups: Sequence[BackupRecord], *, target: datetime, now: datetime
) -> BackupRecord:
    """Returns the newest whole backup that ended before `target`; DrillError when
    `target` is in the future, there is no backup, or every backup ended after it."""
    if target > now:
        raise DrillError(
            "dr.future",
            f"복구 시각 {_shown(target)}은(는) 아직 오지 않았습니다 (지금 {_shown(now)}).",
        )
    whole = [b for b in backups if not b.error]
    if not whole:
        raise DrillError("dr.no_backup", "저장소에 백업이 없습니다. `minwon backup run` 먼저.")
    usable = [b for b in whole if b.stopped + BACKUP_MARGIN <= target]
    if not usable:
        oldest = min(whole, key=lambda b: b.stopped)
        raise DrillError(
            "dr.before_backups",
            f"복구 시각 {_shown(target)}은(는) 가장 오래된 백업({oldest.label})이 끝난 "
            f"{_shown(oldest.stopped)}보다 앞섭니다: 그 시점으로는 복구할 수 없습니다.",
        )
    return max(usable, key=lambda b: b.stopped)


def _shown(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Fingerprint:
    """A set of rows, order-free: how many, and the sum of each row's 60-bit hash of
    its key and content. `later`: rows of the live side committed after TIME."""

    count: int
    digest: int
    later: int = 0


@dataclass(frozen=True)
class TableProof:
    """One table: rows expected (live, committed at or before TIME), rows committed after
    it, rows restored, and how the two sets differ."""

    table: str
    expected: int
    later: int
    restored: int
    missing: int = 0
    extra: int = 0
    changed: int = 0

    @property
    def ok(self) -> bool:
        """Returns True when the restored rows are exactly the expected ones."""
        return (self.missing, self.extra, self.changed) == (0, 0, 0) and (
            self.restored == self.expected
        )

    def to_dict(self) -> dict[str, Any]:
        """Returns the counts as JSON-ready values."""
        return {
            "table": self.table,
            "expected": self.expected,
            "committed_after": self.later,
            "restored": self.restored,
            "missing": self.missing,
            "extra": self.extra,
            "changed": self.changed,
            "ok": self.ok,
        }


class Ledger(Protocol):
    """The rows of the proved tables on one side (live: committed at or before `upto`;
    restored: all of them, `upto` None)."""

    def fingerprint(self, table: str, upto: datetime | None) -> Fingerprint:
        """Returns the fingerprint of `table`'s rows."""
        ...

    def rows(self, table: str, upto: datetime | None) -> dict[str, int]:
        """Returns each row's key and hash (only read when fingerprints differ)."""
        ...


def compare(table: str, live: Ledger, restored: Ledger, target: datetime) -> TableProof:
    """Returns how `table` restored: fingerprints first; when they differ, row by row."""
    want, got = live.fingerprint(table, target), restored.fingerprint(table, None)
    proof = TableProof(table, expected=want.count, later=want.later, restored=got.count)
    if (want.count, want.digest) == (got.count, got.digest):
        return proof
    expected, present = live.rows(table, target), restored.rows(table, None)
    return replace(
        proof,
        missing=len(expected.keys() - present.keys()),
        extra=len(present.keys() - expected.keys()),
        changed=sum(1 for k in expected.keys() & present.keys() if expected[k] != present[k]),
    )


def mismatch_message(proofs: Sequence[TableProof]) -> str:
    """Returns one Korean line naming each table that did not restore exactly."""
    parts = [
        f"{p.table}: 기대 {p.expected}, 복원 {p.restored}, 누락 {p.missing}, "
        f"초과 {p.extra}, 내용 다름 {p.changed}"
        for p in proofs
        if not p.ok
    ]
    return "복원본이 그 시점의 운영 DB와 다릅니다: " + "; ".join(parts)


@dataclass
class DrillReport:
    """One drill: what was asked, what was used, how long each part took, the verdict."""

    id: str
    target: datetime
    started_at: datetime
    backup_label: str
    outcome: str = "running"  # running | passed | failed
    code: str = "dr.running"
    detail: str = ""
    restore_seconds: float | None = None
    replay_seconds: float | None = None
    prove_seconds: float | None = None
    total_seconds: float | None = None
    finished_at: datetime | None = None
    proofs: list[TableProof] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Returns True when the restored copy was proved exact."""
        return self.outcome == "passed"

    def to_dict(self) -> dict[str, Any]:
        """Returns the report as JSON-ready values (``--json``, the journal)."""
        return {
            "id": self.id,
            "target": self.target.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "backup_label": self.backup_label,
            "outcome": self.outcome,
            "code": self.code,
            "detail": self.detail,
            "restore_seconds": self.restore_seconds,
            "replay_seconds": self.replay_seconds,
            "prove_seconds": self.prove_seconds,
            "total_seconds": self.total_seconds,
            "tables": [p.to_dict() for p in self.proofs],
        }

    def to_row(self) -> dict[str, Any]:
        """Returns the report as the columns of the journal's table."""
        return {
            "id": self.id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "target": self.target,
            "backup_label": self.backup_label,
            "outcome": self.outcome,
            "code": self.code,
            "detail": self.detail[:4000],
            "restore_seconds": self.restore_seconds,
            "replay_seconds": self.replay_seconds,
            "prove_seconds": self.prove_seconds,
            "total_seconds": self.total_seconds,
            "counts": [p.to_dict() for p in self.proofs],
        }


class Repository(Protocol):
    """The backup repository, as the drill sees it."""

    def backups(self) -> Sequence[BackupRecord]:
        """Returns the backups it holds, oldest first."""
        ...

    def archive_now(self) -> None:
        """Returns once the WAL written so far is in the repository."""
        ...


class Scratch(Protocol):
    """A throwaway instance: restored, replayed, read, then stopped and removed by
    leaving its ``with`` block, whatever happened inside."""

    def restore(self, *, label: str, target: datetime) -> None:
        """Restores backup `label` with recovery to `target` into the scratch folder."""
        ...

    def replay(self, *, target: datetime) -> Ledger:
        """Starts the instance, returns once it replayed to `target` and was promoted."""
        ...


class LiveSide(Ledger, Protocol):
    """The live cluster's ledger, which must keep commit timestamps."""

    def check_ready(self) -> None:
        """Raises DrillError when the live side cannot say when its rows committed."""
        ...


class Journal(Protocol):
    """Where drills are recorded (a row per drill)."""

    def started(self, report: DrillReport) -> None:
        """Records a drill that begins."""
        ...

    def finished(self, report: DrillReport) -> None:
        """Completes its record."""
        ...


@dataclass
class DrillParts:
    """What one drill drives (``operations/cluster/drills.py`` wires the real ones)."""

    repository: Repository
    live: LiveSide
    journal: Journal
    scratch: Callable[[], AbstractContextManager[Scratch]]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    clock: Callable[[], float] = time.monotonic


def run_drill(parts: DrillParts, *, target: datetime) -> DrillReport:
    """Restores to `target` in a scratch instance and proves the copy; returns the
    recorded report. Refusals (DrillError before anything started) are not recorded."""
    began, started = parts.clock(), parts.now()
    backup = choose_backup(parts.repository.backups(), target=target, now=started)
    parts.live.check_ready()
    report = DrillReport(uuid.uuid4().hex, target, started, backup.label)
    # The journal's row is a commit after TIME: recovery always finds its stop point.
    parts.journal.started(report)
    try:
        parts.repository.archive_now()
        with parts.scratch() as scratch:
            mark = parts.clock()
            scratch.restore(label=backup.label, target=target)
            report.restore_seconds = round(parts.clock() - mark, 2)
            mark = parts.clock()
            restored = scratch.replay(target=target)
            report.replay_seconds = round(parts.clock() - mark, 2)
            mark = parts.clock()
            report.proofs = [compare(t, parts.live, restored, target) for t in PROVED_TABLES]
            report.prove_seconds = round(parts.clock() - mark, 2)
        if all(p.ok for p in report.proofs):
            report.outcome, report.code = "passed", "dr.passed"
            report.detail = "복원본이 그 시점의 운영 DB와 정확히 같습니다."
        else:
            report.outcome, report.code = "failed", "dr.mismatch"
            report.detail = mismatch_message(report.proofs)
    except DrillError as exc:
        report.outcome, report.code, report.detail = "failed", exc.code, exc.detail
    except Exception as exc:
        report.outcome, report.code = "failed", "dr.failed"
        report.detail = f"{type(exc).__name__}: {exc}"[:400]
        raise
    finally:
        report.total_seconds = round(parts.clock() - began, 2)
        report.finished_at = parts.now()
        parts.journal.finished(report)
    return report
