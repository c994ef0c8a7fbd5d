"""From one look at a part of the cluster to the faults it shows (pure).

A ``Reading`` is what one source saw in one round: the conditions active now, keyed by
(component, cause), and what it knows about faults that ended (``Resolution``: the
supervisor's restart time and the exit it logged) or came and went between two looks
(``Blip``: a process restarted between rounds, a failover done within one round). The
functions here build readings from plain values; ``observe.py`` gathers those values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from minwon.operations.cluster.status import MemberStatus
from minwon.operations.incidents.model import Cause

Key = tuple[str, Cause]  # (component, cause)


@dataclass(frozen=True)
class Condition:
    """A fault present now: where, which cause class, the detail, and since when if the
    source knows better than the round that sees it."""

    component: str
    cause: Cause
    detail: str = ""
    since: float | None = None

    @property
    def key(self) -> Key:
        """Returns (component, cause)."""
        return (self.component, self.cause)


@dataclass(frozen=True)
class Resolution:
    """When and how a condition ended, as its source recorded it (a supervisor's restart
    of the process, at `at`, after it ended with `detail`, e.g. ``SIGKILL``)."""

    component: str
    cause: Cause
    at: float
    detail: str = ""

    @property
    def key(self) -> Key:
        """Returns (component, cause)."""
        return (self.component, self.cause)


@dataclass(frozen=True)
class Blip:
    """A fault that began and ended between two looks."""

    component: str
    cause: Cause
    detail: str
    started_at: float
    ended_at: float


@dataclass(frozen=True)
class Reading:
    """What one source (``processes``, ``patroni``, ``app:1`` ...) saw at `at`."""

    source: str
    at: float
    conditions: tuple[Condition, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    blips: tuple[Blip, ...] = ()


# -- processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessSeen:
    """One process of the cluster at one look: its PID, whether it runs, and the
    supervisor's restart record (count, wall time of the last restart, how it ended)."""

    ref: str  # haproxy:1
    pid: int | None
    alive: bool
    held: bool = False
    restarts: int = 0
    restarted_at: float | None = None
    last_exit: str = ""


@dataclass
class ProcessTracker:
    """Turns looks at the processes into ``process.exit`` conditions; remembers the last
    look so that a process that died and was started again between two looks (a new PID,
    one more restart) is still recorded, as a blip."""

    _last: dict[str, ProcessSeen] = field(default_factory=dict)
    _last_at: float | None = None

    def read(self, at: float, seen: Iterable[ProcessSeen]) -> Reading:
        """Returns the reading of this look."""
        conditions: list[Condition] = []
        resolutions: list[Resolution] = []
        blips: list[Blip] = []
        for p in seen:
            before = self._last.get(p.ref)
            if not p.alive:
                pid = p.pid if p.pid is not None else (before.pid if before else None)
                gone = f"pid {pid} is gone" if pid is not None else "not running"
                detail = "held down (stopped on purpose)" if p.held else gone
                conditions.append(Condition(p.ref, Cause.PROCESS_EXIT, detail))
                continue
            if p.restarted_at is not None:
                resolutions.append(
                    Resolution(p.ref, Cause.PROCESS_EXIT, p.restarted_at, p.last_exit)
                )
            missed = (
                before is not None
                and before.alive
                and self._last_at is not None
                and p.restarts > before.restarts
                and p.restarted_at is not None
                and p.restarted_at > self._last_at
            )
            if missed and p.restarted_at is not None and self._last_at is not None:
                blips.append(
                    Blip(p.ref, Cause.PROCESS_EXIT, p.last_exit, self._last_at, p.restarted_at)
                )
        self._last = {p.ref: p for p in seen}
        self._last_at = at
        return Reading("processes", at, tuple(conditions), tuple(resolutions), tuple(blips))


# -- Patroni ----------------------------------------------------------------------------


@dataclass
class RoleTracker:
    """Turns Patroni's members into role and replication conditions; remembers the last
    leader, so that losing it is a ``role.failover`` of that member until a leader runs.

    A switchover someone asked for (``request``: Patroni's failover key naming that
    leader, or none, from ``planned.py``) is a ``role.switchover`` from the look that
    first saw the request until a new leader runs: Patroni blocks in its demote without
    updating the old leader's member key, so the members alone may show nothing but the
    change itself."""

    max_lag_bytes: int
    # Every member the cluster has: one missing from Patroni's answer while a leader runs
    # (its member key expired: a hung or dead node) is not streaming either.
    expected: tuple[str, ...] = ()
    _leader: str | None = None
    _timeline: int | None = None
    _lost_at: float | None = None
    _lost_cause: Cause = Cause.ROLE_FAILOVER
    _asked_at: float | None = None  # when a switchover of the leader was first seen asked
    _answered: bool = False  # the leader changed since: the request left is done with

    def remember(self, leader: str, *, lost_at: float, cause: Cause = Cause.ROLE_FAILOVER) -> None:
        """Takes over what a previous watcher knew: `leader` lost its role at `lost_at`
        (an open ``role.failover`` or ``role.switchover`` incident), so that it stays
        open until a leader runs."""
        self._leader, self._lost_at, self._lost_cause = leader, lost_at, cause
        if cause is Cause.ROLE_SWITCHOVER:
            self._asked_at = lost_at

    def request(self, at: float, requested: dict[str, str] | None) -> None:
        """Takes one look at the switchover requested ({} none, None: not known)."""
        if requested is None:
            return
        if not requested:
            self._asked_at, self._answered = None, False
        elif (
            self._asked_at is None
            and not self._answered
            and requested.get("leader", "") in ("", self._leader)
        ):
            self._asked_at = at

    def read(self, at: float, members: Iterable[MemberStatus]) -> Reading:
        """Returns the reading of one ``GET /cluster`` answer (members as parsed)."""
        members = tuple(members)
        running = [m for m in members if m.role == "leader" and m.state == "running"]
        conditions: list[Condition] = []
        resolutions: list[Resolution] = []
        blips: list[Blip] = []
        asked = self._asked_at
        if len(running) == 1 and running[0].name != self._leader and self._leader is not None:
            leader, old = running[0], self._leader
            detail = f"{old} → {leader.name}, timeline {self._timeline} → {leader.timeline}"
            component = f"postgres:{old}"
            cause = Cause.ROLE_SWITCHOVER if asked is not None else self._lost_cause
            if self._lost_at is None and asked is None:  # lost and taken over between looks
                blips.append(Blip(component, cause, detail, at, at))
            resolutions.append(Resolution(component, cause, at, detail))
            self._asked_at, self._answered = None, True
        elif asked is not None and self._leader is not None:
            detail = f"{self._leader} hands its role over, as asked (planned switchover)"
            component = f"postgres:{self._leader}"
            conditions.append(Condition(component, Cause.ROLE_SWITCHOVER, detail, asked))
        elif len(running) != 1 and self._leader is not None:
            if self._lost_at is None:
                self._lost_at, self._lost_cause = at, Cause.ROLE_FAILOVER
            detail = f"{self._leader} is not a running leader; no leader runs"
            component = f"postgres:{self._leader}"
            conditions.append(Condition(component, self._lost_cause, detail, self._lost_at))
        if len(running) == 1:
            self._leader, self._timeline = running[0].name, running[0].timeline
            self._lost_at, self._lost_cause = None, Cause.ROLE_FAILOVER
        listed = {m.name for m in members}
        for name in self.expected:
            if running and name not in listed:
                detail = "not in Patroni's cluster (its member key expired)"
                conditions.append(Condition(f"postgres:{name}", Cause.REPLICATION_STOPPED, detail))
        for m in members:
            if m.is_leader or not running:
                continue
            component = f"postgres:{m.name}"
            leader_tl = running[0].timeline
            if m.state != "streaming":
                conditions.append(Condition(component, Cause.REPLICATION_STOPPED, m.state))
            elif m.timeline != leader_tl and leader_tl is not None:
                # Streaming what it had before the failover: not the leader's history yet.
                detail = f"streaming on timeline {m.timeline}, the leader's is {leader_tl}"
                conditions.append(Condition(component, Cause.REPLICATION_STOPPED, detail))
            elif m.lag_bytes is None or m.lag_bytes > self.max_lag_bytes:
                detail = f"lag {m.lag_bytes} bytes (bound {self.max_lag_bytes})"
                conditions.append(Condition(component, Cause.REPLICATION_LAG, detail))
        return Reading("patroni", at, tuple(conditions), tuple(resolutions), tuple(blips))


# -- the other sources ------------------------------------------------------------------


def hang_reading(at: float, stopped: dict[str, str]) -> Reading:
    """Returns the reading of the processes' states: a ``process.hung`` for each
    component with a stopped process (component → detail, see ``hangs.py``)."""
    found = tuple(
        Condition(component, Cause.PROCESS_HUNG, detail)
        for component, detail in sorted(stopped.items())
    )
    return Reading("hangs", at, found)


def etcd_reading(at: float, healthy: dict[str, bool]) -> Reading:
    """Returns the reading of etcd's members' ``GET /health``."""
    up = sum(healthy.values())
    if healthy and up <= len(healthy) // 2:
        down = ", ".join(sorted(n for n, ok in healthy.items() if not ok))
        detail = f"{up} of {len(healthy)} healthy (down: {down})"
        return Reading("etcd", at, (Condition("etcd", Cause.ETCD_QUORUM_LOST, detail),))
    return Reading("etcd", at)


def path_reading(at: float, name: str, reaches_primary: bool) -> Reading:
    """Returns the reading of one HAProxy path (a session through it lands on a primary)."""
    component = f"haproxy:{name}"
    if reaches_primary:
        return Reading(component, at)
    detail = "no session through it reaches a primary"
    return Reading(component, at, (Condition(component, Cause.HAPROXY_PATH_DOWN, detail),))


def app_reading(at: float, name: str, ready: bool, detail: str = "") -> Reading:
    """Returns the reading of one app instance's ``GET /readyz``."""
    component = f"app:{name}"
    if ready:
        return Reading(component, at)
    found = Condition(component, Cause.APP_NOT_READY, detail or "GET /readyz is not 200")
    return Reading(component, at, (found,))


def archive_reading(at: float, failing: bool, detail: str = "") -> Reading:
    """Returns the reading of the primary's ``pg_stat_archiver`` (last failure newer
    than the last success)."""
    if not failing:
        return Reading("archive", at)
    return Reading("archive", at, (Condition("backup", Cause.ARCHIVE_FAILED, detail),))


def backup_reading(at: float, failures: Iterable[tuple[float, str]]) -> Reading:
    """Returns the reading of the scheduled backups that failed since the last look
    (each at the time its failure was logged): blips, as a failed backup is over."""
    blips = tuple(Blip("backup", Cause.BACKUP_FAILED, d, t, t) for t, d in failures)
    return Reading("backups", at, blips=blips)
