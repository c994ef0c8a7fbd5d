"""What every fault scenario asserts of its incident (issue 14 item 2): the watcher
recorded it by itself, with the right component and cause class, a start within 1 s of
the injection and an end within 1 s of the recovery, as the scenario measured them
(``details["injected_at"]``, or up to its last kill, ``killed_at``, and the wall time
its recovery step saw, e.g. ``recovered_at`` or ``rejoined_at``). A recovery seen by a
look at the cluster's status happened after the look before it, which did not see it
(``rejoined_not_yet_at``) and before the look that saw it ended (``rejoined_seen_by``):
an end between the two, within 1 s either side, is the truth.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from minwon.adapters.tables import issuances
from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.local import cluster_engine, local_incidents
from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.scenarios import ScenarioRecord

TOLERANCE = 1.0
# The watcher and the load date issuances alike (issued_at); the watcher also counts
# issuances the load did not make (probes are left out) and rounds its sampling.
GAP_TOLERANCE = 0.5


def stored_incidents(root: Path, limit: int = 200) -> list[Incident]:
    """Returns the newest incidents the watcher of the cluster at `root` has stored."""
    store, engine = local_incidents(root)
    try:
        return [r.incident for r in store.records(limit=limit)]
    finally:
        engine.dispose()


def _print_issued(cluster: LocalCluster, incident: Incident, load_gap_began: float) -> None:
    """Prints the stalls between the issuance times the database holds around the
    incident, beside when the load's longest gap began (to see where the two differ)."""
    start, end = incident.started_at - 10, (incident.settled_at or incident.started_at) + 10
    engine = cluster_engine(cluster.root)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(issuances.c.issued_at)
                .where(issuances.c.issued_at > datetime.fromtimestamp(start, UTC))
                .where(issuances.c.issued_at < datetime.fromtimestamp(end, UTC))
                .order_by(issuances.c.issued_at)
            ).all()
    finally:
        engine.dispose()
    times = [r.issued_at.timestamp() for r in rows]
    print(f"  load's gap began at {load_gap_began}; incident {incident.started_at}-{end - 10}")
    for a, b in itertools.pairwise(times):
        if b - a > 0.3:
            print(f"  issued_at stall {a:.3f} -> {b:.3f} ({b - a:.3f} s)")


def assert_gap(cluster: LocalCluster, incident: Incident, record: ScenarioRecord) -> None:
    """Asserts the incident's issuance gap is the one the load measured: its longest
    time without issuing, among the issuances it had acknowledged, each dated by its own
    ``issued_at`` (``issued_gap_seconds``; the gap by when answers arrived,
    ``gap_seconds``, is printed beside it: an answer may come seconds after its document
    was issued), within ``GAP_TOLERANCE``."""
    measured, issued = incident.issuance_gap_seconds, record.details["issued_gap_seconds"]
    answers = record.gap_seconds
    print(f"  issuance gap: watcher {measured} s, load {issued} s (by answers {answers} s)")
    assert measured is not None, incident
    if abs(measured - float(issued)) > GAP_TOLERANCE:
        _print_issued(cluster, incident, float(record.details["issued_gap_began_at"]))
    assert abs(measured - float(issued)) <= GAP_TOLERANCE, (measured, issued, record.gap_seconds)


def _print_watch_log(cluster: LocalCluster, since: float) -> None:
    """Prints what the watcher logged about incidents from `since` (to see why)."""
    log = cluster.launched_log(ProcessRef(ProcessKind.WATCH, "incidents"))
    if log is None:
        return
    stamp = datetime.fromtimestamp(since - 2).astimezone().isoformat(timespec="seconds")
    for line in Path(log).read_text(encoding="utf-8", errors="replace").splitlines():
        if line[:19] >= stamp[:19] and "incident" in line:
            print(f"  watcher: {line}")


def recorded_incident(
    cluster: LocalCluster,
    record: ScenarioRecord,
    *,
    component: str,
    causes: set[Cause],
    recovered: str,
    not_before: str | None = None,
    ends: str = "settled",
    timeout: float = 20.0,
) -> Incident:
    """Returns the settled incident of `component` that began at the scenario's injection,
    once the watcher has stored it; asserts its cause class and its start and end.

    `not_before` names a figure the recovery cannot precede (the old primary rejoins the
    new leader, so not before its promotion): the lower bound when the scenario's first
    look already saw the recovery (it waited for something else meanwhile). `ends` says
    which end the recovery is: ``settled`` (every symptom gone: the part serves again) or
    ``ended`` (its cause gone: a hang resumed, which the scenario did itself and so knows
    to the millisecond, while the part's catching up after it is not measured)."""
    injected = float(record.details["injected_at"])
    # Seen at the start of a look that ended later: by that end at the latest.
    recovery = float(record.details.get(recovered.removesuffix("_at") + "_seen_by", 0.0))
    recovery = max(recovery, float(record.details[recovered]))
    not_yet = record.details.get(recovered.removesuffix("_at") + "_not_yet_at")
    if not_yet is None and not_before is not None:
        not_yet = record.details[not_before]
    earliest = float(not_yet) if not_yet is not None else recovery
    found: list[Incident] = []

    def stored() -> bool:
        near = [
            i
            for i in stored_incidents(cluster.root)
            if i.component == component and abs(i.started_at - injected) <= 5 * TOLERANCE
        ]
        found[:] = near
        return bool(near) and not any(i.is_open for i in near)

    assert wait_until(stored, timeout=timeout, interval=0.5), (component, found)
    print(f"\nincident of {record.fault}: {[i.to_dict() for i in found]}")
    print(f"  injected at {injected}, {recovered} {recovery} (not yet at {earliest})")
    if len(found) != 1 or found[0].cause not in causes:
        _print_watch_log(cluster, injected)
    (incident,) = found
    assert incident.cause in causes, incident
    # Injected between the step's start and its last kill (etcd loses quorum at its second).
    whole = max(injected, float(record.details.get("killed_at", injected)))
    started = incident.started_at
    assert injected - TOLERANCE <= started <= whole + TOLERANCE, (started, injected, whole)
    assert incident.settled_at is not None and incident.ended_at is not None
    end = incident.settled_at if ends == "settled" else incident.ended_at
    if end < earliest - TOLERANCE:
        # Recovered sooner than the scenario's look before its last: it may have failed
        # again meanwhile (a rejoined member rewound and restarted by Patroni after it
        # streamed a while). Then the record holds that relapse too, open when that look
        # saw the part not yet recovered, and ending at the recovery.
        _print_watch_log(cluster, injected)
        last = _relapse(cluster.root, component, after=end, looked=earliest, until=recovery)
        end = last.settled_at if ends == "settled" else last.ended_at
        assert end is not None, last
    assert earliest - TOLERANCE <= end <= recovery + TOLERANCE, (ends, end, earliest, recovery)
    return incident


def _relapse(root: Path, component: str, *, after: float, looked: float, until: float) -> Incident:
    """Returns the settled incident of `component` that began after `after` (an earlier
    one's end) and was open at `looked`, once stored; asserts there is one."""
    found: list[Incident] = []

    def stored() -> bool:
        found[:] = [
            i
            for i in stored_incidents(root)
            if i.component == component
            and after <= i.started_at <= looked + TOLERANCE
            and i.started_at <= until + TOLERANCE
        ]
        return bool(found) and not any(i.is_open for i in found)

    assert wait_until(stored, timeout=20.0, interval=0.5), ("no relapse recorded", component)
    print(f"  relapse of {component}: {[i.to_dict() for i in found]}")
    last = max(found, key=lambda i: i.started_at)
    assert last.settled_at is not None and last.settled_at >= looked - TOLERANCE, last
    return last


def incidents_near(cluster: LocalCluster, incident: Incident) -> list[Incident]:
    """Returns the other incidents stored that began while `incident` was open."""
    end = incident.settled_at or incident.started_at
    return [
        i
        for i in stored_incidents(cluster.root)
        if i.id != incident.id and incident.started_at - TOLERANCE <= i.started_at <= end
    ]


def settled_first(cluster: LocalCluster, *, timeout: float = 25.0) -> None:
    """Waits until the watcher holds no open incident, so that a scenario's fault is not
    taken for the recovery of the one before it (a test that failed early did not wait
    for its incident to settle: a database member's settles 10 s after its symptoms
    cleared); prints what is still open after `timeout` and goes on."""
    still: list[Incident] = []

    def none_open() -> bool:
        still[:] = [i for i in stored_incidents(cluster.root, limit=50) if i.is_open]
        return not still

    began = time.monotonic()
    if not wait_until(none_open, timeout=timeout, interval=0.5):
        print(f"\nstill open before the scenario: {[i.to_dict() for i in still]}")
    elif time.monotonic() - began > 1.0:
        print(f"\nwaited {time.monotonic() - began:.1f} s for the last incident to settle")
