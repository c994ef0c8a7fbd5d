"""Opens and closes incidents from the readings of each round (pure).

Each round brings readings from some sources (a source that did not answer this round
keeps its last reading: a slow probe is not a recovery). Their conditions are the faults
present now. A component with a condition and no open incident gets one, named after
the first of its conditions by ``model.PRIORITY`` and started at the condition's own
``since`` or at the reading's time. Further conditions on that component join the
incident (``also``). The incident ends when its cause's condition clears, at the time
its source recorded (``Resolution``: the supervisor's restart) or else the round's; it
settles when no condition is left on the component. The issuance gap is measured after
it settles, once issuance has resumed (or given up on after ``GAP_WAIT_SECONDS``).

A watcher that starts again resumes the incidents it left open (``resume``): the same
condition continues the same incident; one that cleared meanwhile closes it at its
source's recorded time if there is one. Nothing is opened twice or lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from minwon.operations.incidents.conditions import Blip, Condition, Key, Reading, Resolution
from minwon.operations.incidents.gap import IssuanceTrack
from minwon.operations.incidents.model import PRIORITY, Cause, Incident

GAP_WAIT_SECONDS = 120.0  # after settling, how long to wait for issuance to resume
# A recorded resolution earlier than its incident's start by more than this belongs to
# an older fault (a restart before this one).
RESOLUTION_SLACK = 1.0
# Symptoms that follow from a fault further down: an app is not ready while the database
# it needs fails over, a path reaches no primary while there is none. Seen while an
# incident is open on a part they depend on, they join that incident (``also`` gets
# ``cause@component``) instead of opening one each.
DEPENDS_ON: dict[Cause, tuple[str, ...]] = {
    Cause.APP_NOT_READY: ("postgres:", "patroni:", "etcd", "haproxy:", "site:"),
    Cause.HAPROXY_PATH_DOWN: ("postgres:", "patroni:", "etcd", "site:"),
    # The other replicas follow a failover: they stop streaming a moment to re-point.
    Cause.REPLICATION_STOPPED: ("postgres:", "patroni:"),
    Cause.REPLICATION_LAG: ("postgres:", "patroni:"),
}


# A symptom of the kinds above waits this long (from when it was seen) before it opens an
# incident of its own: its cause further down, probed by a slower look (a host that does
# not answer takes a connect timeout to tell), may be seen a round later. Its start is
# not delayed: it keeps the time it was first seen.
DEPENDENT_GRACE = 1.0


# A database member that rejoins after a failover may stream a moment, then stop again to
# be rewound and restarted by Patroni (seen: streaming 8-10 s before it stayed so): its
# incident settles once it has been without symptoms this long, at the time they cleared.
POSTGRES_SETTLE_HOLD = 10.0
# A promoted second site's apps may answer /readyz a moment after it took writes: those
# join the lost site's incident meanwhile.
SITE_SETTLE_HOLD = 5.0


def _first_cause(item: tuple[str, list[Condition]]) -> int:
    return min(PRIORITY.index(c.cause) for c in item[1])


def rejoin_continues(incident: Incident) -> bool:
    """Returns True if the return of `incident`'s cause is its own recovery going on: a
    database member whose postmaster exited. After a failover Patroni may stop and start
    it again (pg_rewind) before it streams. Nothing in a recovery stops a process with
    SIGSTOP or cuts a host off: such a cause coming back is a new fault."""
    return incident.component.startswith("postgres:") and incident.cause is Cause.PROCESS_EXIT


def settle_hold(component: str) -> float:
    """Returns how long `component` must stay without symptoms before its incident
    settles (at the time they cleared): a database member's, ``POSTGRES_SETTLE_HOLD``;
    the primary site's (seen from the second), ``SITE_SETTLE_HOLD``."""
    if component.startswith("postgres:"):
        return POSTGRES_SETTLE_HOLD
    return SITE_SETTLE_HOLD if component.startswith("site:") else 0.0


@dataclass
class Detector:
    """The incidents of one watcher: those open, and the settled ones awaiting their gap."""

    track: IssuanceTrack = field(default_factory=IssuanceTrack)
    _readings: dict[str, Reading] = field(default_factory=dict)
    _open: dict[str, Incident] = field(default_factory=dict)  # by component
    _gap_pending: dict[str, Incident] = field(default_factory=dict)  # by id
    _resolutions: dict[Key, Resolution] = field(default_factory=dict)
    _absorbed: set[str] = field(default_factory=set)  # components whose ``also`` grew
    _shown_by: dict[Key, str] = field(default_factory=dict)  # the source that showed it
    _last_keys: dict[str, set[Cause]] = field(default_factory=dict)  # per open component
    _clean_since: dict[str, float] = field(default_factory=dict)  # no symptom left since
    _waiting: dict[str, Condition] = field(default_factory=dict)  # symptoms in their grace

    def resume(self, incidents: Iterable[Incident]) -> None:
        """Takes back the incidents a previous watcher left open."""
        for incident in incidents:
            if incident.is_open:
                self._open[incident.component] = incident

    @property
    def open_incidents(self) -> list[Incident]:
        """Returns the incidents not yet settled."""
        return list(self._open.values())

    def round(
        self,
        at: float,
        readings: Iterable[Reading],
        issuance: dict[str, float] | None = None,
        issuance_at: float | None = None,
    ) -> list[Incident]:
        """Feeds one round; returns every incident opened, changed or closed by it.

        `issuance` is each app's issuance counter as last read, `issuance_at` when those
        reads began (default: `at`).
        """
        changed: dict[str, Incident] = {}
        blips: list[Blip] = []
        for reading in readings:
            self._readings[reading.source] = reading
            for r in reading.resolutions:
                self._resolutions[r.key] = r
            blips.extend(reading.blips)
        if issuance is not None:
            self.track.sample(issuance_at if issuance_at is not None else at, issuance)
        active: dict[Key, Condition] = {}
        for reading in self._readings.values():
            for c in reading.conditions:
                since = c.since if c.since is not None else reading.at
                active.setdefault(c.key, Condition(c.component, c.cause, c.detail, since))
                self._shown_by[c.key] = reading.source
        by_component: dict[str, list[Condition]] = {}
        for c in active.values():
            by_component.setdefault(c.component, []).append(c)
        for component, incident in list(self._open.items()):
            updated = self._follow(incident, by_component.get(component, []), at)
            if updated != incident:
                changed[updated.id] = updated
            if updated.is_open:
                self._open[component] = updated
            else:
                del self._open[component]
                self._gap_pending[updated.id] = updated
        # Root causes first: a host cut off and the paths through it seen in one round
        # are one incident (the paths' explained by the host's), not three.
        waiting: dict[str, Condition] = {}
        for component, found in sorted(by_component.items(), key=_first_cause):
            if component in self._open or self._explained(found, at):
                continue
            first = min(found, key=lambda c: PRIORITY.index(c.cause))
            dependent = all(c.cause in DEPENDS_ON for c in found)
            held = self._waiting.get(component)
            if dependent and held is not None and held.cause is first.cause:
                first = held  # seen before: since then
            since = first.since if first.since is not None else at
            if dependent and at - since < DEPENDENT_GRACE:
                waiting[component] = first  # its cause further down may show next round
                continue
            incident = Incident.open(component, first.cause, first.detail, at=since)
            incident = incident.but(
                also=tuple(sorted({c.cause.value for c in found} - {first.cause.value})),
                updated_at=at,
            )
            self._open[component] = incident
            changed[incident.id] = incident
        for component, first in self._waiting.items():
            if component not in by_component:  # gone before its grace: a blip of its own
                end = self._cleared_at(first.key, at)
                began = first.since if first.since is not None else at
                blips.append(Blip(component, first.cause, first.detail, began, end))
        self._waiting = waiting
        for component in self._absorbed & set(self._open):
            changed[self._open[component].id] = self._open[component]
        self._absorbed.clear()
        for blip in blips:
            current = self._open.get(blip.component)
            if current is not None:  # the open incident there covers it: noted in it
                if blip.cause is not current.cause and blip.cause.value not in current.also:
                    also = tuple(sorted({*current.also, blip.cause.value}))
                    self._open[blip.component] = current = current.but(also=also, updated_at=at)
                    changed[current.id] = current
                continue
            done = Incident.open(blip.component, blip.cause, blip.detail, at=blip.started_at)
            done = done.but(ended_at=blip.ended_at, settled_at=blip.ended_at, updated_at=at)
            self._gap_pending[done.id] = done
            changed[done.id] = done
        for incident in self._measure(at):
            changed[incident.id] = incident
        return list(changed.values())

    def _explained(self, found: list[Condition], at: float) -> bool:
        """Returns True (and notes it) if an open incident further down explains every
        condition `found` on a component."""
        upstream = []
        for c in found:
            parts = DEPENDS_ON.get(c.cause, ())
            cover = [i for i in self._open.values() if i.component.startswith(parts)]
            if not cover:
                return False
            upstream.append((min(cover, key=lambda i: i.started_at), c))
        for incident, c in upstream:
            current = self._open[incident.component]
            mark = f"{c.cause.value}@{c.component}"
            if mark not in current.also:
                also = tuple(sorted({*current.also, mark}))
                self._open[incident.component] = current.but(also=also, updated_at=at)
                self._absorbed.add(incident.component)
        return True

    def _cleared_at(self, key: Key, at: float) -> float:
        """Returns when the condition `key` was first seen gone: the time of the look of
        the source that showed it (a probe began it before this round), else `at`."""
        source = self._shown_by.get(key)
        reading = self._readings.get(source) if source is not None else None
        return reading.at if reading is not None and reading.at <= at else at

    def _follow(self, incident: Incident, present: list[Condition], at: float) -> Incident:
        keys = {c.cause for c in present}
        also = set(incident.also) | {c.value for c in keys if c is not incident.cause}
        updated = incident.but(also=tuple(sorted(also)))
        before = self._last_keys.get(incident.component, {incident.cause})
        self._last_keys[incident.component] = keys
        if incident.ended_at is None and incident.cause not in keys:
            end = self._cleared_at((incident.component, incident.cause), at)
            end, detail = max(end, incident.started_at), incident.cause_detail
            found = self._resolutions.get((incident.component, incident.cause))
            if found is not None and incident.started_at - RESOLUTION_SLACK <= found.at <= at:
                end, detail = max(found.at, incident.started_at), found.detail or detail
            updated = updated.but(ended_at=end, cause_detail=detail)
        elif incident.ended_at is not None and incident.cause in keys:
            if rejoin_continues(incident):
                # Patroni stops a rejoining member's postmaster again to rewind it: the
                # same recovery, not over yet. Its end comes when the cause clears again.
                updated = updated.but(ended_at=None, updated_at=at)
                self._clean_since.pop(incident.component, None)
                return updated
            # The cause came back while other symptoms lingered: that was the end of this
            # incident; ``round`` opens a new one for the new fault at once.
            return updated.but(settled_at=at, updated_at=at)
        component = incident.component
        if updated.ended_at is not None and not present:
            since = self._clean_since.get(component)
            if since is None:  # the first round without symptoms: when they cleared
                others = [c for c in before if c is not incident.cause]
                cleared = [self._cleared_at((component, c), at) for c in others]
                since = self._clean_since[component] = max([updated.ended_at, *cleared])
            if at - since >= settle_hold(component):
                updated = updated.but(settled_at=since)
                del self._last_keys[component], self._clean_since[component]
        elif present:
            self._clean_since.pop(component, None)  # not over: a symptom came back
        if updated != incident:
            updated = updated.but(updated_at=at)
        return updated

    def _measure(self, at: float) -> list[Incident]:
        measured = []
        for key, incident in list(self._gap_pending.items()):
            assert incident.settled_at is not None
            gap, final = self.track.gap(incident.started_at, incident.settled_at)
            waited = at - incident.settled_at > GAP_WAIT_SECONDS
            if final or waited:
                del self._gap_pending[key]
                measured.append(incident.but(issuance_gap_seconds=gap, updated_at=at))
        return measured
