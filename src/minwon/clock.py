"""Clock port: domain code takes times as arguments; services ask a Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

KST = timezone(timedelta(hours=9), "KST")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Returns the real time, timezone-aware in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at = self._at + delta
