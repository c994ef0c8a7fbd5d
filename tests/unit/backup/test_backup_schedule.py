"""When the supervisor's next backup is due: full, differential, or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from minwon.operations.backup.info import BackupRecord, StanzaInfo
from minwon.operations.backup.schedule import BackupSchedule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SCHEDULE = BackupSchedule(full_every=timedelta(hours=24), diff_every=timedelta(minutes=30))


def _backup(kind: str, age: timedelta) -> BackupRecord:
    started = NOW - age
    return BackupRecord(
        f"{kind}-{age}", kind, started, started + timedelta(seconds=5), 10, 10, 5, 5, None,
        "", "", False,
    )  # fmt: skip


def _info(*backups: BackupRecord) -> StanzaInfo:
    ordered = tuple(sorted(backups, key=lambda b: b.started))
    return StanzaInfo("minwon", 0, "ok", None, None, ordered)


def test_an_empty_repository_gets_a_full_backup_first() -> None:
    assert SCHEDULE.due(_info(), NOW) == "full"


def test_a_full_backup_older_than_its_period_is_replaced_by_a_new_full_one() -> None:
    old = _backup("full", timedelta(hours=24))
    assert SCHEDULE.due(_info(old, _backup("diff", timedelta(minutes=1))), NOW) == "full"


def test_between_full_backups_a_differential_is_due_every_diff_period() -> None:
    full = _backup("full", timedelta(hours=2))
    assert SCHEDULE.due(_info(full), NOW) == "diff"
    assert SCHEDULE.due(_info(full, _backup("diff", timedelta(minutes=31))), NOW) == "diff"
    assert SCHEDULE.due(_info(full, _backup("diff", timedelta(minutes=10))), NOW) is None
    # An incremental does not count as the differential the schedule asks for.
    assert SCHEDULE.due(_info(full, _backup("incr", timedelta(minutes=1))), NOW) == "diff"


def test_a_recent_full_backup_needs_nothing_more() -> None:
    assert SCHEDULE.due(_info(_backup("full", timedelta(minutes=5))), NOW) is None


def test_the_schedule_survives_state_json() -> None:
    schedule = BackupSchedule(check_every=timedelta(seconds=2))
    assert BackupSchedule.from_dict(schedule.to_dict()) == schedule
