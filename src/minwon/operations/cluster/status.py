"""What the cluster looks like at one moment: immutable snapshots, and what is wrong.

Pure: the snapshots are built by ``probes.collect_status`` from the running parts, by the
fake backend from its model, or by hand in tests; ``ClusterStatus.problems`` classifies
them. Nothing here reads the network or changes anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from minwon.operations.cluster.tuning import MAX_HEALTHY_LAG_BYTES, MAX_REPLY_AGE_SECONDS

SYNC_ROLES = frozenset({"sync_standby", "quorum_standby"})
LEADER_ROLES = frozenset({"leader", "standby_leader"})


@dataclass(frozen=True)
class MemberStatus:
    """One Patroni member as its REST API reports it."""

    name: str
    role: str
    state: str
    timeline: int | None
    lag_bytes: int | None
    sync: bool
    failsafe_active: bool = False
    # What the primary's pg_stat_replication says of a replica (None: not read): whether
    # a walsender serves it, and seconds since its last reply (reply_time).
    attached: bool | None = None
    reply_age_seconds: float | None = None
    # Whether the leader's PostgreSQL answered a new connection within 1 s (None: not
    # tried). Patroni and HAProxy use connections they hold: a hung postmaster fools both.
    accepts_connections: bool | None = None

    @property
    def is_leader(self) -> bool:
        """Returns True for the leader (or a standby cluster's leader)."""
        return self.role in LEADER_ROLES


@dataclass(frozen=True)
class EtcdStatus:
    """One etcd member and whether it answered ``GET /health`` as healthy."""

    name: str
    url: str
    healthy: bool


@dataclass(frozen=True)
class HAProxyStatus:
    """One load-balancer path and whether a session through it lands on the primary."""

    name: str
    port: int
    reaches_primary: bool


@dataclass(frozen=True)
class AppStatus:
    """One app instance and whether it answered ``GET /readyz`` with 200."""

    name: str
    url: str
    ready: bool


SUPERVISOR_LATE_SECONDS = 5.0  # ten rounds missed: hung (e.g. stopped), not just busy


@dataclass(frozen=True)
class SupervisorStatus:
    """The local supervisor: whether it runs, its last round, what it started again."""

    running: bool
    pid: int | None = None
    last_round_seconds: float | None = None  # seconds since its last round
    restarts: tuple[tuple[str, int], ...] = ()  # (process, times started again)
    held: tuple[str, ...] = ()  # parts stopped on purpose, left down

    def restarted(self, process: str) -> int:
        """Returns how often the supervisor has started `process` (``app:1``) again."""
        return dict(self.restarts).get(process, 0)

    @property
    def problems(self) -> list[str]:
        """Returns what is wrong with the supervisor itself; nobody restarts it."""
        if not self.running:
            return ["supervisor is not running: nothing restarts a part that dies"]
        late = self.last_round_seconds
        if late is None or late > SUPERVISOR_LATE_SECONDS:
            return [f"supervisor has made no round for {late} s"]
        return []


@dataclass(frozen=True)
class ClusterStatus:
    """A snapshot of every part; ``healthy`` only if all of it is as it should be."""

    members: tuple[MemberStatus, ...]
    etcd: tuple[EtcdStatus, ...]
    haproxy: tuple[HAProxyStatus, ...]
    apps: tuple[AppStatus, ...]
    expected_members: int
    supervisor: SupervisorStatus | None = None  # None: no supervisor (real hosts, the fake)
    # Members whose guard is not running (``cluster/guard.py``): a hung primary there
    # would not be fenced. Empty where guards are not watched (real hosts, the fake).
    unguarded: tuple[str, ...] = ()
    # A standby site following the primary site: its leader streams from there (a
    # ``standby_leader``), nobody is synchronous, its paths are its link to the primary
    # site and its apps only answer (``operations/dr``).
    following: bool = False

    @property
    def leader(self) -> str | None:
        """Returns the one leader's name; None when there is none or more than one."""
        leaders = [m.name for m in self.members if m.is_leader]
        return leaders[0] if len(leaders) == 1 else None

    @property
    def sync_standbys(self) -> list[str]:
        """Returns the names of the synchronous standbys."""
        return [m.name for m in self.members if m.sync]

    def member(self, name: str) -> MemberStatus | None:
        """Returns the member called `name`, or None if Patroni does not report it."""
        return next((m for m in self.members if m.name == name), None)

    @property
    def etcd_quorum(self) -> bool:
        """Returns True while a majority of etcd members is healthy."""
        return sum(e.healthy for e in self.etcd) > len(self.etcd) // 2

    @property
    def problems(self) -> list[str]:
        """Returns what is wrong, one sentence each; empty when healthy."""
        found: list[str] = []
        leaders = [m for m in self.members if m.is_leader]
        if len(leaders) != 1:
            found.append(f"{len(leaders)} leaders (expected exactly 1)")
        if len(self.members) != self.expected_members:
            found.append(f"{len(self.members)} of {self.expected_members} members reported")
        for m in self.members:
            found += _member_problems(m)
        if not self.following and not any(m.sync for m in self.members):
            found.append("no synchronous standby")
        if self.etcd and not self.etcd_quorum:
            healthy = sum(e.healthy for e in self.etcd)
            # Without a majority no leader lease can be renewed or taken: only failsafe
            # mode keeps the primary writing, and no failover can happen.
            found.append(f"etcd has lost quorum ({healthy} of {len(self.etcd)} healthy)")
        found += [f"etcd {e.name} unhealthy" for e in self.etcd if not e.healthy]
        where = "the primary site's primary over the link" if self.following else "the primary"
        found += [
            f"haproxy {h.name} (port {h.port}) does not reach {where}"
            for h in self.haproxy
            if not h.reaches_primary
        ]
        state = "not answering" if self.following else "not ready"
        found += [f"app {a.name} ({a.url}) {state}" for a in self.apps if not a.ready]
        found += self.supervisor.problems if self.supervisor is not None else []
        found += [
            f"guard of {name} is not running: a hung primary there would not be fenced"
            for name in self.unguarded
        ]
        return found

    @property
    def healthy(self) -> bool:
        """Returns True when there is no problem at all."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Returns the snapshot as JSON-ready values, with leader, health and problems."""
        data = asdict(self)
        data.update(leader=self.leader, healthy=self.healthy, problems=self.problems)
        return data


def _member_problems(m: MemberStatus) -> list[str]:
    found: list[str] = []
    if m.role == "standby_leader" and m.state != "streaming":
        found.append(f"standby leader {m.name} is {m.state}, not streaming from the primary site")
    if m.role == "leader" and m.state != "running":
        found.append(f"leader {m.name} is {m.state}")
    if m.is_leader and m.accepts_connections is False:
        found.append(
            f"leader {m.name} accepts no new connection (no answer within 1 s), though "
            "Patroni says running"
        )
    if not m.is_leader and m.state != "streaming":
        found.append(f"replica {m.name} is {m.state}, not streaming")
    if not m.is_leader and (m.lag_bytes is None or m.lag_bytes > MAX_HEALTHY_LAG_BYTES):
        found.append(f"replica {m.name} lag is {m.lag_bytes} bytes")
    if not m.is_leader and m.state == "streaming":
        found += _replication_problems(m)
    if m.failsafe_active:
        # Set while etcd was unreachable and kept for a ttl after: replicas follow the old
        # primary and will not race for the lock, so no failover can happen.
        found.append(f"{m.name} is still in failsafe mode after a DCS outage")
    return found


def _replication_problems(m: MemberStatus) -> list[str]:
    # Patroni reads "streaming" from the replica's own shared memory, which a hung
    # walreceiver or a hung PostgreSQL never updates; and while a hung sync standby holds
    # every commit back the primary writes nothing, so no byte lag builds up either. The
    # primary's walsender view is what tells: a replica it no longer serves, or one it
    # has not heard from for several status intervals.
    if m.attached is False:
        return [f"replica {m.name} is not attached to the primary (no walsender serves it)"]
    if m.reply_age_seconds is not None and m.reply_age_seconds > MAX_REPLY_AGE_SECONDS:
        return [
            f"replica {m.name} has not replied to the primary for {m.reply_age_seconds:.1f} s "
            "(a hung walreceiver or PostgreSQL), though Patroni says streaming"
        ]
    return []


def parse_members(cluster: dict[str, Any]) -> tuple[MemberStatus, ...]:
    """Returns the members of a Patroni ``GET /cluster`` answer, sorted by name."""
    members = []
    for raw in cluster.get("members", []):
        lag = raw.get("lag")
        timeline = raw.get("timeline")
        role = str(raw.get("role", "unknown"))
        members.append(
            MemberStatus(
                name=str(raw["name"]),
                role=role,
                state=str(raw.get("state", "unknown")),
                timeline=timeline if isinstance(timeline, int) else None,
                lag_bytes=lag if isinstance(lag, int) else (0 if role in LEADER_ROLES else None),
                sync=role in SYNC_ROLES,
            )
        )
    return tuple(sorted(members, key=lambda m: m.name))
