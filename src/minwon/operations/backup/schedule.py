"""When the next backup is due (pure): a full one when none is newer than
`full_every`, else a differential when none (full or differential) is newer than
`diff_every`. The local launcher's supervisor asks this every round; real hosts use
systemd timers with the same periods (``units.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from minwon.operations.backup.info import StanzaInfo
from minwon.operations.backup.pgbackrest import BackupType


@dataclass(frozen=True)
class BackupSchedule:
    """How old the newest full and the newest full-or-differential backup may get, and
    how often the repository is asked."""

    full_every: timedelta = timedelta(hours=24)
    diff_every: timedelta = timedelta(hours=1)
    check_every: timedelta = timedelta(seconds=30)

    def due(self, info: StanzaInfo, now: datetime) -> BackupType | None:
        """Returns the type of backup due at `now`, or None when none is."""
        full = info.latest("full")
        if full is None or now - full.started >= self.full_every:
            return "full"
        recent = info.latest("full", "diff")
        if recent is None or now - recent.started >= self.diff_every:
            return "diff"
        return None

    def to_dict(self) -> dict[str, float]:
        """Returns the periods in seconds (``state.json``)."""
        return {
            "full_every": self.full_every.total_seconds(),
            "diff_every": self.diff_every.total_seconds(),
            "check_every": self.check_every.total_seconds(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> BackupSchedule:
        """Returns the schedule saved with ``to_dict``."""
        return cls(
            full_every=timedelta(seconds=float(data["full_every"])),
            diff_every=timedelta(seconds=float(data["diff_every"])),
            check_every=timedelta(seconds=float(data.get("check_every", 30.0))),
        )
