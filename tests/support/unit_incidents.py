"""A detector fed round by round, for the watcher's unit tests (pure)."""

from __future__ import annotations

from minwon.operations.incidents.conditions import ProcessSeen, ProcessTracker, Reading
from minwon.operations.incidents.detector import Detector
from minwon.operations.incidents.model import Incident


def proc(ref: str, pid: int, alive: bool = True, **kw: object) -> ProcessSeen:
    return ProcessSeen(ref, pid, alive, **kw)  # type: ignore[arg-type]


class Run:
    """A detector fed round by round, remembering the last version of each incident."""

    def __init__(self, detector: Detector | None = None) -> None:
        self.detector = detector or Detector()
        self.procs = ProcessTracker()
        self.seen: dict[str, Incident] = {}
        self.writes = 0

    def round(
        self,
        at: float,
        *readings: Reading,
        procs: list[ProcessSeen] | None = None,
        issued: dict[str, float] | None = None,
    ) -> list[Incident]:
        extra = [self.procs.read(at, procs)] if procs is not None else []
        changed = self.detector.round(at, [*extra, *readings], issued)
        for incident in changed:
            self.seen[incident.id] = incident
            self.writes += 1
        return changed

    def only(self) -> Incident:
        assert len(self.seen) == 1, list(self.seen.values())
        return next(iter(self.seen.values()))
