"""The parts of ``FakeCluster``'s model: its reaction times, one member, and how a
member shows in ``minwon cluster status``."""

from __future__ import annotations

from dataclasses import dataclass

from minwon.operations.cluster.faults import PauseScope
from minwon.operations.cluster.status import MemberStatus


@dataclass(frozen=True)
class FakeTimings:
    """How many simulated seconds each reaction takes (close to the measured ones)."""

    failover: float = 2.0  # crashed primary noticed and the sync standby promoted
    rejoin: float = 2.0  # a member's PostgreSQL rewound/started and streaming again
    lease: float = 20.0  # a dead leader's lock expires (Patroni ttl)
    failsafe_clear: float = 20.0  # failsafe flag kept for a ttl after etcd is back
    restart: float = 0.5  # an HAProxy or app instance up again
    hung_standby: float = 1.0  # a hung sync standby noticed and the sync role moved
    fence: float = 4.0  # a leader's hung PostgreSQL fenced by its guard (hung_after)
    # A partitioned leader demotes itself: retry_timeout 5 s of etcd errors, then 2 × 2 s
    # of failsafe calls to members it cannot reach (measured 9.8 s to a stopped primary).
    partition_demote: float = 10.0


@dataclass
class Member:
    name: str
    leader: bool = False
    patroni: bool = True
    postgres: bool = True
    streaming: bool = True
    timeline: int = 1
    failsafe: bool = False
    paused: PauseScope | None = None
    paused_at: float = 0.0
    isolated: bool = False  # its host is cut off from the network
    demoted: bool = False  # a leader that stepped down on its own, its lease still held

    @property
    def hung(self) -> bool:
        """Returns True while a pause stops its replication or its queries."""
        return self.paused is not None and self.paused is not PauseScope.POSTMASTER

    @property
    def serving(self) -> bool:
        """Returns True if the member runs, is not hung, and leads or streams."""
        running = self.patroni and self.postgres and not self.hung and not self.isolated
        return running and (self.leader or self.streaming)

    @property
    def primary(self) -> bool:
        """Returns True if its PostgreSQL takes writes (``pg_is_in_recovery()`` false)."""
        return self.leader and self.postgres and not self.demoted


def member_status(m: Member, *, sync: bool, now: float) -> MemberStatus:
    """Returns how `m` shows in a status snapshot taken at simulated time `now`."""
    if m.leader:
        role, state = "leader", "running" if m.postgres else "stopped"
    else:
        role = "sync_standby" if sync else "replica"
        state = ("streaming" if m.streaming else "starting") if m.postgres else "stopped"
    # What the primary's pg_stat_replication shows: a hung standby stays attached
    # but stops replying, while Patroni still calls it streaming.
    attached = not m.leader and state == "streaming"
    reply_age = now - m.paused_at if m.hung else 0.0
    return MemberStatus(
        name=m.name,
        role=role,
        state=state,
        timeline=m.timeline,
        lag_bytes=0 if state in ("running", "streaming") else None,
        sync=sync,
        failsafe_active=m.failsafe,
        attached=None if m.leader else attached,
        reply_age_seconds=round(reply_age, 3) if attached else None,
    )
