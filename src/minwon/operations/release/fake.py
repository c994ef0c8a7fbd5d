"""A release as a model on a simulated clock, for unit tests of the F1 runbooks.

Measured on the local cluster (tests/scenarios/test_safe_release.py): a canary answers
~3 s after it starts, the probe takes ~0.3 s, putting the old build back ~3 s more; a
fault only live traffic shows is caught within a few seconds of comparison.
"""

from __future__ import annotations

from minwon.operations.clock import WaitClock
from minwon.operations.release.drills import DRILLS
from minwon.operations.release.ports import ReleaseSummary

START, PROBE, COMPARE = 3.0, 0.3, 3.0


class FakeReleaser:
    """Rolls every drill build back, after as long as the real release takes."""

    def __init__(self, clock: WaitClock, apps: int = 2) -> None:
        self.clock = clock
        self.builds = {str(n): "0.1.0+stable" for n in range(1, apps + 1)}

    def release_drill(self, kind: str) -> ReleaseSummary:
        """Returns the rolled-back release of drill `kind`."""
        drill = DRILLS[kind]
        decided = START + PROBE + (0.0 if drill.probe_sees_it else COMPARE)
        self.clock.sleep(decided + START)
        return ReleaseSummary(
            outcome="rolled_back",
            code="probe.failed" if drill.probe_sees_it else "canary.errors",
            reason=drill.title_ko,
            decision_seconds=decided,
            rolled_back_seconds=decided + START,
            builds_before=dict(self.builds),
            builds_after=dict(self.builds),
            failed_step="probe" if drill.probe_sees_it else "compare",
        )
