"""Time for operations code that waits: a real clock, and a simulated one for tests.

Waiting loops (a cluster becoming healthy, issuance resuming) take a ``WaitClock``, so
the same loop runs in real seconds against real processes and in simulated seconds,
instantly and deterministically, against the fake cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class WaitClock(Protocol):
    """Wall time, a monotonic reading, and a way to let time pass."""

    def now(self) -> datetime:
        """Returns the wall time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Returns seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Lets `seconds` pass."""
        ...


class SystemWaitClock:
    """The machine's clocks; ``sleep`` really sleeps."""

    def now(self) -> datetime:
        """Returns the wall time, timezone-aware in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Returns ``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleeps for `seconds`."""
        time.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemWaitClock()


class SimulatedClock:
    """Time that passes only in ``sleep``, in small ticks that listeners observe.

    Each tick moves time by at most ``tick`` seconds and then calls every listener with
    the new time, so a simulated cluster can change state and a simulated load can
    acknowledge writes at the moments they would happen.
    """

    def __init__(
        self, *, start: datetime = datetime(2025, 1, 1, tzinfo=UTC), tick: float = 0.05
    ) -> None:
        self._start = start
        self._tick = tick
        self._now = 0.0
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> datetime:
        """Returns the simulated wall time."""
        return self._start + timedelta(seconds=self._now)

    def monotonic(self) -> float:
        """Returns the simulated seconds since the clock was made."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Moves time forward by `seconds`, tick by tick, telling every listener."""
        remaining = max(0.0, seconds)
        while remaining > 0:
            step = min(self._tick, remaining)
            # Rounded so that ticks add up exactly: 40 ticks of 0.05 s are 2.0 s, and a
            # change due "2 s after" happens on that tick, not one tick later.
            self._now = round(self._now + step, 9)
            remaining = round(remaining - step, 9)
            for listener in list(self._listeners):
                listener(self._now)

    def listen(self, listener: Callable[[float], None]) -> None:
        """Calls `listener(monotonic)` after every tick from now on."""
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[float], None]) -> None:
        """Stops calling `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    clock: WaitClock = SYSTEM_CLOCK,
    interval: float = 0.25,
) -> bool:
    """Polls `ready` until it returns True (then True) or `timeout` passes (then False)."""
    deadline = clock.monotonic() + timeout
    while True:
        if ready():
            return True
        if clock.monotonic() >= deadline:
            return False
        clock.sleep(interval)
