"""The recovery drill's pure parts and its use case with fakes: reading TIME, choosing the
backup, judging the counts, the scratch instance's settings, and the order in which a
drill records, restores, replays, proves and cleans up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from minwon.operations.backup.drill import (
    DrillError,
    DrillParts,
    DrillReport,
    Fingerprint,
    choose_backup,
    compare,
    parse_target,
    run_drill,
)
from minwon.operations.backup.info import BackupRecord
from minwon.operations.backup.proof import rows_sql
from minwon.operations.backup.scratch import (
    drill_restore_command,
    postmaster_argv,
    server_settings,
    target_text,
)

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def _backup(label: str, stopped: datetime, *, error: bool = False) -> BackupRecord:
    return BackupRecord(
        label=label,
        type="full",
        started=stopped - timedelta(seconds=5),
        stopped=stopped,
        size=1,
        delta=1,
        repo_size=1,
        repo_delta=1,
        prior=None,
        wal_start="",
        wal_stop="",
        error=error,
    )


def test_time_with_an_offset_keeps_it_and_z_means_utc() -> None:
    assert parse_target("2026-12-04T09:30:00+09:00", local=UTC) == datetime(
        2026, 12, 4, 0, 30, tzinfo=UTC
    )
    assert parse_target("2026-12-04T00:30:00.25Z", local=KST) == datetime(
        2026, 12, 4, 0, 30, 0, 250000, tzinfo=UTC
    )


def test_a_time_without_an_offset_is_read_in_the_hosts_time_zone() -> None:
    assert parse_target("2026-12-04 09:30", local=KST) == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "어제", "2026-13-01T00:00:00", "9:30"])
def test_an_unreadable_time_is_refused(text: str) -> None:
    with pytest.raises(DrillError) as caught:
        parse_target(text, local=UTC)
    assert caught.value.code == "dr.time"


def test_the_newest_backup_that_ended_a_second_before_time_is_chosen() -> None:
    older, newer = _backup("F1", NOW - timedelta(hours=2)), _backup("F2", NOW - timedelta(hours=1))
    target = NOW - timedelta(minutes=30)
    assert choose_backup([older, newer], target=target, now=NOW).label == "F2"
    # F2 stopped half a second before TIME: not consistent for sure yet (whole seconds).
    almost = NOW - timedelta(hours=1) + timedelta(milliseconds=500)
    assert choose_backup([older, newer], target=almost, now=NOW).label == "F1"


def test_an_erroneous_backup_is_never_chosen() -> None:
    bad = _backup("F2", NOW - timedelta(hours=1), error=True)
    good = _backup("F1", NOW - timedelta(hours=2))
    assert choose_backup([good, bad], target=NOW, now=NOW).label == "F1"
    with pytest.raises(DrillError) as caught:
        choose_backup([bad], target=NOW, now=NOW)
    assert caught.value.code == "dr.no_backup"


@pytest.mark.parametrize(
    ("target", "backups", "code"),
    [
        (NOW + timedelta(seconds=1), [_backup("F1", NOW - timedelta(hours=1))], "dr.future"),
        (NOW - timedelta(minutes=1), [], "dr.no_backup"),
        (NOW - timedelta(hours=3), [_backup("F1", NOW - timedelta(hours=1))], "dr.before_backups"),
    ],
)
def test_time_in_the_future_without_backup_or_before_every_backup_is_refused(
    target: datetime, backups: list[BackupRecord], code: str
) -> None:
    with pytest.raises(DrillError) as caught:
        choose_backup(backups, target=target, now=NOW)
    assert caught.value.code == code


class FakeLedger:
    """Rows as key -> hash; `times` (live) key -> commit time."""

    def __init__(self, rows: dict[str, int], times: dict[str, datetime] | None = None) -> None:
        self.data, self.times, self.rows_read = rows, times, 0
        self.ready_error: DrillError | None = None

    def _visible(self, upto: datetime | None) -> dict[str, int]:
        if self.times is None:
            return dict(self.data)
        assert upto is not None
        return {k: h for k, h in self.data.items() if self.times[k] <= upto}

    def fingerprint(self, table: str, upto: datetime | None) -> Fingerprint:
        seen = self._visible(upto)
        later = 0 if self.times is None else len(self.data) - len(seen)
        return Fingerprint(len(seen), sum(seen.values()), later)

    def rows(self, table: str, upto: datetime | None) -> dict[str, int]:
        self.rows_read += 1
        return self._visible(upto)

    def check_ready(self) -> None:
        if self.ready_error:
            raise self.ready_error


T = NOW - timedelta(minutes=10)
LIVE_TIMES = {"a": T - timedelta(seconds=2), "b": T, "c": T + timedelta(microseconds=1)}


def test_the_same_rows_prove_without_reading_them_one_by_one() -> None:
    live = FakeLedger({"a": 1, "b": 2, "c": 3}, LIVE_TIMES)
    restored = FakeLedger({"a": 1, "b": 2})
    proof = compare("issuances", live, restored, T)
    assert proof.ok and (proof.expected, proof.later, proof.restored) == (2, 1, 2)
    assert live.rows_read == restored.rows_read == 0


def test_missing_extra_and_changed_rows_are_each_counted() -> None:
    live = FakeLedger({"a": 1, "b": 2, "c": 3}, LIVE_TIMES)
    assert compare("fees", live, FakeLedger({"a": 1}), T).missing == 1
    extra = compare("fees", live, FakeLedger({"a": 1, "b": 2, "c": 3}), T)
    assert (extra.missing, extra.extra, extra.ok) == (0, 1, False)
    changed = compare("fees", live, FakeLedger({"a": 1, "b": 5}), T)
    assert (changed.missing, changed.extra, changed.changed, changed.ok) == (0, 0, 1, False)


def test_an_issuances_time_is_its_issue_events_not_its_row_which_a_void_rewrites() -> None:
    live = rows_sql("issuances", live=True)
    assert "i.xmin" not in live
    assert "a.action = 'issue'" in live and "pg_xact_commit_timestamp(a.xmin)" in live
    assert "CASE WHEN vd.t <= :upto THEN 'voided' ELSE 'valid' END" in live
    assert "i.status" in rows_sql("issuances", live=False)
    for table in ("fees", "audit_events"):
        assert "pg_xact_commit_timestamp" in rows_sql(table, live=True)
        assert "pg_xact_commit_timestamp" not in rows_sql(table, live=False)


def test_the_scratch_instance_overrides_archiving_replication_and_the_network() -> None:
    folder = Path("/var/tmp/run/drills/minwon-drill-x")
    restore = drill_restore_command("/usr/bin/pgbackrest", folder / "pgbackrest.conf")
    settings = server_settings(folder, 54321, restore, T)
    assert settings["archive_mode"] == "off" and settings["archive_command"] == ""
    assert settings["synchronous_standby_names"] == "" and settings["primary_conninfo"] == ""
    assert settings["listen_addresses"] == "" and settings["port"] == "54321"
    assert settings["unix_socket_directories"] == str(folder / "socket")
    assert settings["recovery_target_action"] == "promote"
    assert settings["recovery_target_time"] == target_text(T) == "2026-12-04 02:50:00.000000+00:00"
    assert f"--config={folder}/pgbackrest.conf" in restore and "archive-get" in restore
    assert "--no-archive-async" in restore and "archive-push" not in restore
    argv = postmaster_argv("/usr/lib/postgresql/15/bin", folder / "data", settings)
    assert argv[:3] == ["/usr/lib/postgresql/15/bin/postgres", "-D", f"{folder}/data"]
    assert "archive_mode=off" in argv and "hot_standby=off" in argv


# -- the use case, with fakes ----------------------------------------------------------


class Steps:
    def __init__(self) -> None:
        self.done: list[str] = []
        self.fail_replay: Exception | None = None
        self.restored = FakeLedger({"a": 1, "b": 2})


class FakeRepository:
    def __init__(self, steps: Steps, backups: list[BackupRecord]) -> None:
        self.steps, self.list = steps, backups

    def backups(self) -> list[BackupRecord]:
        return self.list

    def archive_now(self) -> None:
        self.steps.done.append("archive")


class FakeScratch:
    def __init__(self, steps: Steps) -> None:
        self.steps = steps

    def restore(self, *, label: str, target: datetime) -> None:
        self.steps.done.append(f"restore {label}")

    def replay(self, *, target: datetime) -> FakeLedger:
        self.steps.done.append("replay")
        if self.steps.fail_replay:
            raise self.steps.fail_replay
        return self.steps.restored


class FakeJournal:
    def __init__(self, steps: Steps) -> None:
        self.steps, self.rows = steps, {}  # type: ignore[var-annotated]

    def started(self, report: DrillReport) -> None:
        self.steps.done.append("journal started")
        self.rows[report.id] = report.to_row()

    def finished(self, report: DrillReport) -> None:
        self.steps.done.append(f"journal {report.outcome}")
        self.rows[report.id] = report.to_row()


def _parts(steps: Steps, live: FakeLedger | None = None) -> tuple[DrillParts, FakeJournal]:
    @contextmanager
    def scratch() -> Iterator[Any]:
        steps.done.append("scratch made")
        try:
            yield FakeScratch(steps)
        finally:
            steps.done.append("scratch removed")

    ticks = iter(range(100))
    journal = FakeJournal(steps)
    parts = DrillParts(
        repository=FakeRepository(steps, [_backup("F1", T - timedelta(hours=1))]),
        live=live or FakeLedger({"a": 1, "b": 2, "c": 3}, LIVE_TIMES),
        journal=journal,
        scratch=scratch,
        now=lambda: NOW,
        clock=lambda: float(next(ticks)),
    )
    return parts, journal


def test_a_drill_records_first_then_archives_restores_replays_proves_and_cleans_up() -> None:
    steps = Steps()
    parts, journal = _parts(steps)
    report = run_drill(parts, target=T)
    assert steps.done == [
        "journal started",  # a commit after TIME: recovery finds its stop point
        "archive",
        "scratch made",
        "restore F1",
        "replay",
        "scratch removed",
        "journal passed",
    ]
    assert report.passed and report.backup_label == "F1"
    assert (report.restore_seconds, report.replay_seconds, report.prove_seconds) == (1, 1, 1)
    assert report.total_seconds == 7  # from the first tick to the last, after cleanup
    row = journal.rows[report.id]
    assert row["outcome"] == "passed" and len(row["counts"]) == 3


def test_a_refused_drill_is_not_recorded_and_touches_nothing() -> None:
    steps = Steps()
    parts, journal = _parts(steps)
    with pytest.raises(DrillError) as caught:
        run_drill(parts, target=NOW + timedelta(minutes=1))
    assert caught.value.code == "dr.future"
    assert steps.done == [] and journal.rows == {}


def test_a_live_side_without_commit_times_refuses_before_recording() -> None:
    steps = Steps()
    live = FakeLedger({}, {})
    live.ready_error = DrillError("dr.commit_ts", "off")
    parts, journal = _parts(steps, live)
    with pytest.raises(DrillError):
        run_drill(parts, target=T)
    assert steps.done == [] and journal.rows == {}


def test_a_replay_that_fails_is_recorded_failed_and_the_scratch_is_still_removed() -> None:
    steps = Steps()
    steps.fail_replay = DrillError("dr.replay", "FATAL: recovery ended before target")
    parts, _ = _parts(steps)
    report = run_drill(parts, target=T)
    assert (report.outcome, report.code) == ("failed", "dr.replay")
    assert steps.done[-2:] == ["scratch removed", "journal failed"]


def test_an_unexpected_error_is_recorded_then_raised() -> None:
    steps = Steps()
    steps.fail_replay = OSError("disk full")
    parts, journal = _parts(steps)
    with pytest.raises(OSError):
        run_drill(parts, target=T)
    (row,) = journal.rows.values()
    assert row["outcome"] == "failed" and row["code"] == "dr.failed"
    assert "disk full" in row["detail"] and "scratch removed" in steps.done


def test_a_copy_with_a_row_too_many_fails_the_drill_and_names_the_table() -> None:
    steps = Steps()
    steps.restored = FakeLedger({"a": 1, "b": 2, "c": 3})
    parts, _ = _parts(steps)
    report = run_drill(parts, target=T)
    assert (report.outcome, report.code) == ("failed", "dr.mismatch")
    assert "issuances" in report.detail and "초과 1" in report.detail
