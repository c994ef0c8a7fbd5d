"""The incident a rolled-back release is (F1): recorded by the releaser itself.

The watcher sees a release only as an instance stopped on purpose and started again: it
cannot tell a broken build from a good one. The releaser knows: it started the broken
build on the canary and finished putting every replaced instance back on its old build.
That span is the incident (``release.rolled_back`` on the canary's instance), kept in the
same incidents table the watcher writes, so ``minwon ops incidents``, the availability
report and ``/status`` show it beside the rest (pure here; ``releaser.py`` stores it).
"""

from __future__ import annotations

import time

from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.release.canary import Outcome, ReleaseReport

DETAIL_LIMIT = 300


def rollback_incident(report: ReleaseReport, *, now: float | None = None) -> Incident | None:
    """Returns the incident of a rolled-back release (None for any other outcome): from
    the wall time the broken build was started on the canary to the end of the rollback."""
    if report.outcome is not Outcome.ROLLED_BACK or report.canary is None:
        return None
    if report.rolled_back_seconds is None:
        return None
    start_step = next(
        (s for s in report.steps if s.name == "start" and s.instance == report.canary), None
    )
    if start_step is None:
        return None
    started = report.started_at + start_step.offset_seconds
    ended = started + report.rolled_back_seconds
    build = report.build
    detail = f"{build.id} ({build.version}) by {report.who}: {report.code} — {report.reason}"
    incident = Incident.open(
        f"app:{report.canary}", Cause.RELEASE_ROLLED_BACK, detail[:DETAIL_LIMIT], at=started
    )
    return incident.but(
        ended_at=round(ended, 3),
        settled_at=round(ended, 3),
        updated_at=time.time() if now is None else now,
    )
