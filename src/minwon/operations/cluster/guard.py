"""The primary's guard: a hung PostgreSQL is fenced, so that Patroni fails it over.

Patroni watches its PostgreSQL over a connection it already holds, and HAProxy asks
Patroni. A postmaster that hangs (SIGSTOP, a stalled CPU) keeps both satisfied while no
new connection is ever accepted: the tester's run had 57 s without an issuance and no
failover at all. A stalled disk is the same for commits. The guard runs beside each
Patroni (``minwon cluster guard``; a systemd unit on real hosts) and asks PostgreSQL
what an app needs from it, twice a second: a new connection, and on the primary a
commit that is flushed locally (``synchronous_commit = local``: it tests this node's
WAL, not its standbys, whose hangs quorum commit already absorbs).

If the node is the primary and nothing PostgreSQL does answers for ``hung_after``
seconds, the guard fences it: SIGKILL to the postmaster and every process under it (a
stopped process dies of SIGKILL too). Patroni then sees a crashed primary and, with
``primary_start_timeout: 0``, hands the leader key to a standby at once; that path is
F2a's. An answer of any kind (an error, a refused connection) is not a hang: a refusing
or crashed postmaster is Patroni's to handle, and a primary being shut down for a
switchover is not touched. The guard acts only while Patroni calls this node the
primary, or cannot answer (a Patroni hung with its PostgreSQL), and then at most once
per ``cooldown``.

Nothing acknowledged is lost by fencing: every acknowledged commit is on a standby
(synchronous quorum), and a commit waiting on the fenced node was never acknowledged.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import structlog

from minwon.operations import plain_http
from minwon.operations.cluster.pause import descendants
from minwon.operations.cluster.supervise import postmaster_pid

LOG = structlog.get_logger("minwon.guard")

CHECK_SECONDS = 0.5
# Two checks' worth of connect timeouts: a primary busy enough to take longer than this
# to answer a new connection is as good as hung to the kiosks waiting on it.
HUNG_AFTER_SECONDS = 4.0
CONNECT_TIMEOUT_SECONDS = 2
COOLDOWN_SECONDS = 60.0

# Created once on the primary, in the maintenance database, never in the app's.
PROBE_TABLE = "minwon_guard_probe"


@dataclass
class Observation:
    """What the guard last heard from PostgreSQL and Patroni (monotonic seconds)."""

    answered_at: float  # the last time PostgreSQL answered anything
    primary: bool = False  # at its last answer, the node was not in recovery
    patroni_primary: bool | None = None  # Patroni's GET /primary: 200, 503, or no answer
    fenced_at: float | None = None
    # The evidence of silence now: a check under way, or the last one went unanswered. A
    # check thread that merely was not scheduled for a while (a loaded host) heard
    # nothing, but asked nothing either: that is no hang.
    checking: bool = False
    last_unanswered: bool = False


@dataclass(frozen=True)
class Policy:
    """When a silent primary is fenced."""

    hung_after: float = HUNG_AFTER_SECONDS
    cooldown: float = COOLDOWN_SECONDS

    def should_fence(self, seen: Observation, now: float) -> bool:
        """Returns True when the node is (as far as anyone can tell) the primary and
        PostgreSQL has answered nothing for `hung_after` seconds."""
        if not seen.primary or seen.patroni_primary is False:
            return False  # a replica, or Patroni has already moved on
        if seen.fenced_at is not None and now - seen.fenced_at < self.cooldown:
            return False
        if not (seen.checking or seen.last_unanswered):
            return False
        return now - seen.answered_at >= self.hung_after


@dataclass(frozen=True)
class Target:
    """The PostgreSQL node one guard watches."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    data_dir: Path
    rest_url: str


class Hang(Exception):
    """PostgreSQL did not answer within the connect timeout."""


def check_database(target: Target) -> bool:
    """Opens a new connection; on a primary commits a row flushed locally. Returns True
    if the node is the primary; raises Hang if PostgreSQL did not answer at all."""
    try:
        with psycopg.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            dbname=target.dbname,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            autocommit=True,
            application_name="minwon-guard",
        ) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row is None or row[0]:
                return False
            conn.execute("SET synchronous_commit = local")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (id int PRIMARY KEY, at timestamptz)"
            )
            conn.execute(
                f"INSERT INTO {PROBE_TABLE} VALUES (1, now()) "
                "ON CONFLICT (id) DO UPDATE SET at = excluded.at"
            )
            return True
    except psycopg.OperationalError as exc:
        if "timeout expired" in str(exc):
            raise Hang(str(exc)) from exc
        raise


def patroni_says_primary(rest_url: str, timeout: float = 1.0) -> bool | None:
    """Returns Patroni's view (GET /primary: 200 True, else False); None if it is silent."""
    try:
        return plain_http.get(f"{rest_url}/primary", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return None


def fence(data_dir: Path) -> list[int]:
    """SIGKILLs the postmaster serving `data_dir` and every process under it; returns
    the PIDs signalled (none if no postmaster serves it)."""
    pid = postmaster_pid(data_dir)
    if pid is None:
        return []
    doomed = [pid, *descendants(pid)]
    for each in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(each, signal.SIGKILL)
    return doomed


@dataclass
class Guard:
    """Checks in one thread, decides in another: a check stuck in a hung PostgreSQL
    cannot stop the decision (the check thread just stays stuck until it answers)."""

    target: Target
    policy: Policy = field(default_factory=Policy)
    check: Callable[[Target], bool] = check_database
    ask_patroni: Callable[[str], bool | None] = patroni_says_primary
    kill: Callable[[Path], list[int]] = fence
    clock: Callable[[], float] = time.monotonic
    seen: Observation = field(init=False)

    def __post_init__(self) -> None:
        self.seen = Observation(answered_at=self.clock())
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Runs until ``stop``: the check thread, and the decision loop in this one."""
        threading.Thread(target=self._checks, name="guard-checks", daemon=True).start()
        while not self._stop.wait(CHECK_SECONDS / 2):
            self.decide()

    def _checks(self) -> None:
        while not self._stop.is_set():
            self.check_once()
            self._stop.wait(CHECK_SECONDS)

    def check_once(self) -> None:
        """One look at PostgreSQL and Patroni; records whatever answered."""
        self.seen.checking = True
        try:
            primary = self.check(self.target)
        except Hang as exc:
            self.seen.last_unanswered = True
            LOG.warning("guard.no_answer", error=str(exc)[:200])
        except psycopg.Error as exc:  # an answer: refused, shutting down, too many clients
            self.seen.answered_at, self.seen.last_unanswered = self.clock(), False
            LOG.info("guard.answered_with_error", error=type(exc).__name__)
        else:
            self.seen.answered_at, self.seen.primary = self.clock(), primary
            self.seen.last_unanswered = False
        finally:
            self.seen.checking = False
        self.seen.patroni_primary = self.ask_patroni(self.target.rest_url)

    def decide(self) -> list[int]:
        """Fences the node if the policy says so; returns the PIDs killed."""
        now = self.clock()
        if not self.policy.should_fence(self.seen, now):
            return []
        silent = now - self.seen.answered_at
        killed = self.kill(self.target.data_dir)
        self.seen.fenced_at = now
        LOG.error("guard.fenced", silent_seconds=round(silent, 2), killed=killed)
        return killed
