"""What every fault scenario asserts of its incident (issue 14 item 2): the watcher
recorded it by itself, with the right component and cause class, a start within 1 s of
the injection and an end within 1 s of the recovery, as the scenario measured them
(``details["injected_at"]`` and the wall time its recovery step saw, e.g.
``recovered_at`` or ``rejoined_at``)."""

from __future__ import annotations

from minwon.operations.clock import wait_until
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.local import local_incidents
from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.scenarios import ScenarioRecord

TOLERANCE = 1.0


def recorded_incident(
    cluster: LocalCluster,
    record: ScenarioRecord,
    *,
    component: str,
    causes: set[Cause],
    recovered: str,
    timeout: float = 20.0,
) -> Incident:
    """Returns the settled incident of `component` that began at the scenario's injection,
    once the watcher has stored it; asserts its cause class and its start and end."""
    injected = float(record.details["injected_at"])
    recovery = float(record.details[recovered])
    found: list[Incident] = []

    def stored() -> bool:
        store, engine = local_incidents(cluster.root)
        try:
            near = [
                r.incident
                for r in store.records(limit=200)
                if r.incident.component == component
                and abs(r.incident.started_at - injected) <= 5 * TOLERANCE
            ]
        finally:
            engine.dispose()
        found[:] = near
        return bool(near) and not any(i.is_open for i in near)

    assert wait_until(stored, timeout=timeout, interval=0.5), (component, found)
    print(f"\nincident of {record.fault}: {[i.to_dict() for i in found]}")
    print(f"  injected at {injected}, {recovered} {recovery}")
    (incident,) = found
    assert incident.cause in causes, incident
    assert abs(incident.started_at - injected) <= TOLERANCE, (incident.started_at, injected)
    assert incident.settled_at is not None
    assert abs(incident.settled_at - recovery) <= TOLERANCE, (incident.settled_at, recovery)
    return incident
