"""The availability reports ``/ops`` shows, each computed at most once per ``TTL_SECONDS``.

A busy month's report reads every traffic minute and incident of the month: seconds of
work on an app instance that also serves the counters and kiosks. An operator refreshing
``/ops`` during an incident, or three operators at once, would take that from citizens
every time. So each period's report is kept ``TTL_SECONDS`` (the page shows when it was
made); one thread computes it, and the others asking meanwhile wait for that one rather
than computing their own. A failure (the database unreadable) is not kept. The CLI
(``minwon report availability``) always computes afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from minwon.operations.availability.period import Period
from minwon.operations.availability.report import AvailabilityReport

TTL_SECONDS = 30.0
KEPT_PERIODS = 12  # the months an operator flips through


@dataclass
class KeptReports:
    """Reports by period, each fresh for `ttl` seconds of the caller's clock."""

    compute: Callable[[Period, float], AvailabilityReport]
    ttl: float = TTL_SECONDS
    computed: int = 0  # how many reports were made (tests count them)
    _kept: OrderedDict[Period, AvailabilityReport] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, period: Period, *, now: float) -> AvailabilityReport:
        """Returns the report of `period`: the kept one while fresh, else made now."""
        with self._lock:
            kept = self._kept.get(period)
            if kept is not None and 0 <= now - kept.generated_at < self.ttl:
                self._kept.move_to_end(period)
                return kept
            made = self.compute(period, now)
            self.computed += 1
            self._kept[period] = made
            self._kept.move_to_end(period)
            while len(self._kept) > KEPT_PERIODS:
                self._kept.popitem(last=False)
            return made
