"""A cluster in memory that behaves like the real one, for tests that start no process.

``FakeCluster`` implements ``ClusterBackend`` with a small model of what Patroni, etcd,
HAProxy and the apps do after a fault (a crashed primary is failed over to the sync
standby, a dead host's lease runs out after ``lease`` seconds, a lost etcd quorum puts
the members in failsafe mode, a killed etcd, Patroni, HAProxy or app is started again
by the supervisor after its restart delay unless held down, ...). Time is a
``SimulatedClock``: waiting is instant and every run is the same. ``fake_traffic.py``
holds the issuance load and the database check that go with it, like httpx's
``MockTransport`` beside its transports; ``fake_model.py`` one member and its timings.
"""

from __future__ import annotations

import heapq
import itertools
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from minwon.operations.clock import SimulatedClock, wait_until
from minwon.operations.cluster.errors import ClusterError, UnknownProcessError
from minwon.operations.cluster.fake_model import FakeTimings, Member, member_status
from minwon.operations.cluster.fake_partition import PartitionModel
from minwon.operations.cluster.faults import (
    Kill,
    Operation,
    Pause,
    PauseScope,
    PauseTarget,
    ProcessKind,
    ProcessRef,
    Resume,
    Start,
)
from minwon.operations.cluster.restarts import BASE_DELAY
from minwon.operations.cluster.status import (
    AppStatus,
    ClusterStatus,
    EtcdStatus,
    HAProxyStatus,
    SupervisorStatus,
)


@dataclass
class FakeCluster(PartitionModel):
    """An in-memory cluster: 3 members, 3 etcd, 2 HAProxy paths, 2 apps by default; its
    hosts can be partitioned (``fake_partition.py``)."""

    clock: SimulatedClock = field(default_factory=SimulatedClock)
    timings: FakeTimings = field(default_factory=FakeTimings)
    member_names: tuple[str, ...] = ("pg1", "pg2", "pg3")
    etcd_names: tuple[str, ...] = ("e1", "e2", "e3")
    haproxy_names: tuple[str, ...] = ("1", "2")
    app_names: tuple[str, ...] = ("1", "2")
    rejoins: bool = True  # False: a failed primary never comes back (a broken rewind)
    supervised: bool = True  # False: nothing starts a killed process but ``start``
    operations: list[Operation] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # issuance numbers committed
    host_rows: list[int] = field(default_factory=list)  # rows a writer on a host committed

    def __post_init__(self) -> None:
        self._members = {name: Member(name) for name in self.member_names}
        self._members[self.member_names[0]].leader = True
        self._sync: str | None = self.member_names[1]
        self._etcd = set(self.etcd_names)
        self._haproxy = set(self.haproxy_names)
        self._apps = set(self.app_names)
        self._guards = set(self.member_names)  # one beside each Patroni
        self._held: set[ProcessRef] = set()
        self._restarts: dict[ProcessRef, int] = {}
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self.clock.listen(self._advance)

    # -- the model ----------------------------------------------------------------------

    def _after(self, seconds: float, change: Callable[[], None]) -> None:
        due = round(self.clock.monotonic() + seconds, 9)
        heapq.heappush(self._events, (due, next(self._order), change))

    def _advance(self, now: float) -> None:
        while self._events and self._events[0][0] <= now:
            _, _, change = heapq.heappop(self._events)
            change()

    def _leader(self) -> Member | None:
        return next((m for m in self._members.values() if m.leader), None)

    @property
    def quorum(self) -> bool:
        """Returns True while a majority of etcd members runs."""
        return len(self._etcd) > len(self.etcd_names) // 2

    def _pick_sync(self) -> None:
        replicas = [m for m in self._members.values() if not m.leader and m.serving]
        if self._sync not in {m.name for m in replicas}:
            self._sync = replicas[0].name if replicas else None

    def _fail_over(self, old: Member, *, comes_back: bool) -> None:
        # Only the synchronous standby may be promoted (strict synchronous mode), and
        # only through etcd: without quorum nobody takes the leader key.
        new = self._members.get(self._sync or "")
        if old.leader and new is not None and new.serving and self.quorum:
            old.leader, old.streaming = False, False
            new.leader = True
            new.timeline = max(m.timeline for m in self._members.values()) + 1
            for member in self._members.values():
                if not member.leader and member.serving:
                    member.timeline = new.timeline
            self._sync = None
            self._pick_sync()
        if comes_back and old.patroni:  # rewound as a replica, or restarted in place
            self._after(self.timings.rejoin, lambda: self._rejoin(old))

    def _lease_expires(self, member: Member) -> None:
        if not member.patroni:
            self._fail_over(member, comes_back=False)

    def _rejoin(self, member: Member) -> None:
        leader = self._leader()
        if not member.patroni or (not self.rejoins and leader is not member):
            return
        member.postgres, member.demoted = True, False
        if leader is None:
            member.leader = True  # nobody took over: restarted in place
        elif leader is not member:
            member.streaming, member.timeline = True, leader.timeline
        self._pick_sync()

    def writable(self) -> bool:
        """Returns True if an issuance sent now would be acknowledged."""
        leader = self._leader()
        sync = self._members.get(self._sync or "")
        return bool(
            leader
            and leader.primary
            and leader.patroni  # HAProxy asks Patroni's REST API who the primary is
            and not leader.hung
            and not leader.isolated
            and sync is not None
            and sync.serving
            and self._haproxy
            and self._apps
        )

    def commit(self, number: str) -> None:
        """Stores one issuance number, as the leader (and its sync standby) would."""
        self.rows.append(number)

    # -- ClusterBackend -----------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Returns a snapshot of the model, as ``collect_status`` would read it."""
        leader = self._leader()
        members = tuple(
            member_status(m, sync=m.name == self._sync, now=self.clock.monotonic())
            for m in self._members.values()
            if m.patroni
        )
        primary = leader is not None and leader.postgres
        return ClusterStatus(
            members=members,
            etcd=tuple(EtcdStatus(e, f"fake://etcd/{e}", e in self._etcd) for e in self.etcd_names),
            haproxy=tuple(
                HAProxyStatus(h, 5000 + i, primary and h in self._haproxy)
                for i, h in enumerate(self.haproxy_names)
            ),
            apps=tuple(AppStatus(a, f"fake://app/{a}", a in self._apps) for a in self.app_names),
            expected_members=len(self.member_names),
            supervisor=self._supervisor_status(),
        )

    def _supervisor_status(self) -> SupervisorStatus | None:
        if not self.supervised:
            return None
        return SupervisorStatus(
            running=True,
            last_round_seconds=0.0,
            restarts=tuple(sorted((str(r), n) for r, n in self._restarts.items())),
            held=tuple(sorted(str(r) for r in self._held)),
        )

    def wait_healthy(self, timeout: float) -> ClusterStatus:
        """Returns the status once healthy; ClusterError with the problems if not."""
        if not wait_until(lambda: self.status().healthy, timeout=timeout, clock=self.clock):
            problems = "; ".join(self.status().problems)
            raise ClusterError(f"cluster not healthy within {timeout:.0f} s: {problems}")
        return self.status()

    def leader(self) -> str:
        """Returns the leader's name; ClusterError if there is none."""
        leader = self._leader()
        if leader is None or not leader.patroni:
            raise ClusterError("no single leader right now")
        return leader.name

    def members(self) -> list[str]:
        """Returns the configured member names."""
        return list(self.member_names)

    def _check(self, ref: ProcessRef) -> None:
        names = {
            ProcessKind.ETCD: self.etcd_names,
            ProcessKind.PATRONI: self.member_names,
            ProcessKind.POSTGRES: self.member_names,
            ProcessKind.HAPROXY: self.haproxy_names,
            ProcessKind.APP: self.app_names,
            ProcessKind.GUARD: self.member_names,
            ProcessKind.WATCH: (),  # not modelled
        }[ref.kind]
        if ref.name not in names:
            raise UnknownProcessError(f"no {ref.kind} named {ref.name!r}")

    def kill(self, process: ProcessRef, sig: int = signal.SIGKILL, *, hold: bool = False) -> None:
        """Stops one process of the model and sets off what the real cluster would do;
        the supervisor starts it again after its delay unless `hold` keeps it down."""
        self._check(process)
        self.operations.append(Kill(process, sig))
        started = _launched_by(process)
        if hold:
            self._held.add(started)
        elif self.supervised and process.kind is not ProcessKind.POSTGRES:
            delay = BASE_DELAY[process.kind]
            self._after(delay, lambda: self._supervisor_restarts(started))
        if process.kind is ProcessKind.POSTGRES:
            self._kill_postgres(self._members[process.name])
        elif process.kind is ProcessKind.PATRONI:
            self._kill_patroni(self._members[process.name])
        else:
            alive = self._alive(process.kind)
            if process.name not in alive:
                raise ClusterError(f"{process} is not running")
            alive.discard(process.name)
            if process.kind is ProcessKind.ETCD and not self.quorum:
                # The leader asks every member over REST; all answer, so it keeps leading.
                for member in self._members.values():
                    member.failsafe = member.patroni

    def _kill_postgres(self, member: Member) -> None:
        if not member.postgres:
            raise ClusterError(f"PostgreSQL of {member.name} is not running")
        member.postgres = False
        self._pick_sync()
        if not member.patroni:
            return  # nobody notices but the lease
        if member.leader:  # primary_start_timeout 0: failed over at once, then rewound
            self._after(self.timings.failover, lambda: self._fail_over(member, comes_back=True))
        else:
            self._after(self.timings.rejoin, lambda: self._rejoin(member))

    def _kill_patroni(self, member: Member) -> None:
        if not member.patroni:
            raise ClusterError(f"Patroni of {member.name} is not running")
        member.patroni = False
        self._pick_sync()
        self._after(self.timings.lease, lambda: self._lease_expires(member))

    def _alive(self, kind: ProcessKind) -> set[str]:
        by_kind = {ProcessKind.ETCD: self._etcd, ProcessKind.HAPROXY: self._haproxy}
        return {**by_kind, ProcessKind.GUARD: self._guards}.get(kind, self._apps)

    def _supervisor_restarts(self, ref: ProcessRef) -> None:
        if ref in self._held:
            return
        if ref.kind is ProcessKind.PATRONI:
            member = self._members[ref.name]
            if member.patroni:
                return
            member.patroni = True  # finds its PostgreSQL running, or starts and rewinds it
            if not member.postgres:
                self._after(self.timings.rejoin, lambda: self._rejoin(member))
        elif ref.name in self._alive(ref.kind):
            return
        elif ref.kind is ProcessKind.ETCD:
            self._start_etcd(ref.name)
        else:
            self._after(self.timings.restart, lambda: self._alive(ref.kind).add(ref.name))
        self._restarts[ref] = self._restarts.get(ref, 0) + 1

    def _start_etcd(self, name: str) -> None:
        self._etcd.add(name)
        if self.quorum:
            self._after(self.timings.failsafe_clear, self._clear_failsafe)

    def start(self, process: ProcessRef) -> None:
        """Clears any hold and starts one process of the model again (no-op while it runs)."""
        self._check(process)
        self.operations.append(Start(process))
        self._held.discard(_launched_by(process))
        kind, name = process.kind, process.name
        if kind in (ProcessKind.POSTGRES, ProcessKind.PATRONI):
            member = self._members[name]
            if not member.patroni:
                member.patroni, member.postgres = True, False
                self._after(self.timings.rejoin, lambda: self._rejoin(member))
        elif kind is ProcessKind.ETCD:
            self._start_etcd(name)
        else:
            self._after(self.timings.restart, lambda: self._alive(kind).add(name))

    def pause(self, target: PauseTarget) -> list[int]:
        """Hangs part of a member: a hung sync standby loses its role after
        ``hung_standby`` s; a leader's hung PostgreSQL is fenced by its guard after
        ``fence`` s, a hung leader node loses its lease after ``lease`` s. Returns one
        made-up PID."""
        member = self._members.get(target.member)
        if member is None:
            raise UnknownProcessError(f"no member named {target.member!r}")
        if member.paused is not None:
            raise ClusterError(f"{member.name} is already paused")
        self.operations.append(Pause(target))
        member.paused, member.paused_at = target.scope, self.clock.monotonic()
        if member.leader and target.scope in (PauseScope.POSTMASTER, PauseScope.POSTGRES):
            # Its guard hears nothing from PostgreSQL and fences it: a crash, as F2a.
            self._after(self.timings.fence, lambda: self._fenced(member, target.scope))
        elif member.hung and member.leader:
            self._after(self.timings.lease, lambda: self._hung_lease_expires(member))
        elif member.hung and member.name == self._sync:
            self._after(self.timings.hung_standby, self._move_sync_off_hung)
        return [list(self._members).index(member.name) + 1]

    def resume(self, target: PauseTarget) -> list[int]:
        """Thaws a paused member; one that lost the leader role rejoins as a replica."""
        member = self._members.get(target.member)
        if member is None or member.paused is not target.scope:
            return []
        self.operations.append(Resume(target))
        member.paused = None
        if not member.leader and not member.streaming:
            self._after(self.timings.rejoin, lambda: self._rejoin(member))
        self._pick_sync()
        return [list(self._members).index(member.name) + 1]

    def _fenced(self, member: Member, scope: PauseScope) -> None:
        if member.paused is scope and member.leader:
            member.paused = None  # SIGKILL ends stopped processes too
            self._kill_postgres(member)

    def _move_sync_off_hung(self) -> None:
        sync = self._members.get(self._sync or "")
        if sync is not None and sync.hung:
            self._sync = None
            self._pick_sync()

    def _hung_lease_expires(self, member: Member) -> None:
        if member.hung:
            self._fail_over(member, comes_back=False)

    def _clear_failsafe(self) -> None:
        if self.quorum:
            for member in self._members.values():
                member.failsafe = False

    def switchover(self, candidate: str | None = None) -> str:
        """Hands the leader role to the sync standby (the only allowed candidate)."""
        old = self._members[self.leader()]
        target = candidate or self._sync
        if target != self._sync or target is None:
            raise ClusterError(f"the candidate must be the sync standby ({self._sync})")
        new = self._members[target]
        old.leader, old.streaming = False, True
        new.leader = True
        new.timeline = old.timeline = old.timeline + 1
        self._sync = None
        self._pick_sync()
        return new.name

    def app_urls(self) -> list[str]:
        """Returns one fake URL per app instance."""
        return [f"fake://app/{a}" for a in self.app_names]

    def balancer_urls(self) -> list[str]:
        """Returns one fake URL per HAProxy path's app balancer."""
        return ["fake://balancer/1", "fake://balancer/2"]

    def member_url(self, member: str) -> str:
        """Returns ``fake://<member>``, which ``FakeLedger`` understands."""
        return f"fake://{self._members[member].name}"

    def database_url(self) -> str:
        """Returns the fake multi-host URL."""
        return "fake://primary"

    def member_state(self, url: str) -> tuple[bool, bool]:
        """Returns (PostgreSQL running, is the leader) for a ``member_url``."""
        member = self._members[url.removeprefix("fake://")]
        return member.postgres, member.leader


def _launched_by(ref: ProcessRef) -> ProcessRef:
    """Returns what the supervisor starts for `ref`: a postmaster's Patroni."""
    return ProcessRef(ProcessKind.PATRONI, ref.name) if ref.kind is ProcessKind.POSTGRES else ref
