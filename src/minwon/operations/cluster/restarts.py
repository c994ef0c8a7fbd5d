"""When the local supervisor starts a dead part again: restart delays and the decision.

Pure: the supervisor (``supervisor.py``) feeds each round's observation (alive? held
down by a person?) and the monotonic time into ``decide`` and acts on the answer.

The delays follow the systemd units the plans for real hosts install
(``templates/*.service.j2``, Debian's ``haproxy.service``): etcd ``RestartSec=2``,
Patroni ``RestartSec=5`` (a restarted Patroni finds its PostgreSQL or rejoins as a
replica; the leader lease protects the rest), the app ``RestartSec=1``, HAProxy
systemd's default 100 ms (here one supervisor round). systemd 252 (Debian 12) keeps that
delay fixed and gives up after 5 starts in 10 s (``StartLimitBurst``); giving up would
leave the local cluster broken until someone looked, so instead the delay doubles for
each start that did not stay up ``STABLE_SECONDS``, up to ``MAX_DELAY`` (what systemd
254's ``RestartSteps``/``RestartMaxDelaySec`` do), and a part that crashes in a loop
costs a start every 30 s, not every second.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minwon.operations.cluster.faults import ProcessKind

BASE_DELAY: dict[ProcessKind, float] = {
    ProcessKind.ETCD: 2.0,
    ProcessKind.PATRONI: 5.0,
    ProcessKind.HAPROXY: 0.5,
    ProcessKind.APP: 1.0,
    ProcessKind.GUARD: 1.0,  # minwon-pgguard.service: RestartSec=1
    ProcessKind.WATCH: 1.0,  # minwon-watch.service: RestartSec=1
}
STABLE_SECONDS = 30.0  # a start that lived this long was a good one: the delay resets
MAX_DELAY = 30.0


def restart_delay(base: float, failures: int) -> float:
    """Returns the delay before a start, after `failures` starts in a row that died young."""
    return float(min(MAX_DELAY, base * 2 ** max(0, failures)))


class Decision(StrEnum):
    """What the supervisor does about one part this round."""

    RUNNING = "running"  # alive: nothing to do
    HELD = "held"  # down on purpose (``cluster stop``, ``kill --hold``): left down
    WAITING = "waiting"  # dead, its restart delay not yet over
    RESTART = "restart"  # dead and due: start it again now


@dataclass
class Watch:
    """What the supervisor remembers about one part between rounds (in memory only)."""

    pid: int  # the PID it watches; another PID means someone else started the part
    started_at: float  # monotonic; a part it did not start counts as long started
    down_since: float | None = None
    failures: int = 0  # starts in a row that died within STABLE_SECONDS

    @classmethod
    def found(cls, pid: int, now: float) -> Watch:
        """Returns the watch of a part started by someone else (``up``, ``cluster start``)."""
        return cls(pid, now - STABLE_SECONDS)

    def restarted(self, pid: int, now: float) -> None:
        """Notes that the supervisor has just started the part again as `pid`."""
        self.pid, self.started_at, self.down_since = pid, now, None

    def due_at(self, base: float) -> float | None:
        """Returns when the dead part is to be started again; None while it runs."""
        if self.down_since is None:
            return None
        return self.down_since + restart_delay(base, self.failures)


def decide(watch: Watch, *, alive: bool, held: bool, now: float, base: float) -> Decision:
    """Returns what to do about one part, and updates its watch."""
    if alive:
        watch.down_since = None
        if now - watch.started_at >= STABLE_SECONDS:
            watch.failures = 0
        return Decision.RUNNING
    if held:
        # The delay counts from the release of the hold, as from a fresh death.
        watch.down_since = None
        return Decision.HELD
    if watch.down_since is None:
        watch.down_since = now
        died_young = now - watch.started_at < STABLE_SECONDS
        watch.failures = watch.failures + 1 if died_young else 0
    due = watch.due_at(base)
    return Decision.RESTART if due is not None and now >= due else Decision.WAITING
