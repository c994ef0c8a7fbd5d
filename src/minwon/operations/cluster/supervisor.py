"""The local cluster's supervisor: ``minwon cluster supervise``, started last by ``up``.

On real hosts systemd starts a dead etcd, Patroni, HAProxy or app again (``Restart=`` in
``templates/*.service.j2``); on one machine this process does. Every round (0.5 s) it
re-reads ``state.json`` under its lock, and for each process the launcher started that
is no longer the process recorded (``supervise.is_ours``: alive and the same command
line) it waits the kind's restart delay (``restarts.py``) and starts it again, unless a
person stopped it on purpose (``state.held``). PostgreSQL is not on the list: Patroni
restarts its own postmaster. An etcd member rejoins with
``ETCD_INITIAL_CLUSTER_STATE=existing``, as ``LocalCluster.start`` does.

Every death and restart is one line of ``logs/supervisor.log`` (its standard output);
counts are kept in ``state.restarts`` for ``minwon cluster status``. Like Patroni's main
loop, a round that fails is logged and the next one runs; SIGTERM ends the loop between
rounds, so no process it starts is left unrecorded. Nobody restarts the supervisor: when
it is gone, ``status`` says so.

A second site's supervisor also watches the primary site (``dr/watch.py``): it samples
both sites' WAL positions every round and, by the site's policy, promotes it when the
primary site is lost.

When the cluster was started with a backup schedule (``state.backup_schedule``), each
round also lets ``backups.ScheduledBackups`` start a due backup from the primary, in the
background; its lines go to the same log, pgBackRest's output to ``logs/backup.log``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.cluster.backups import ScheduledBackups
from minwon.operations.cluster.control import (
    BEAT_FILE,
    STATE_FILE,
    is_supervised,
    launch,
    read_credentials,
)
from minwon.operations.cluster.faults import ProcessRef
from minwon.operations.cluster.restarts import BASE_DELAY, Decision, Watch, decide
from minwon.operations.cluster.spec import Credentials
from minwon.operations.cluster.state import ClusterState, StateStore
from minwon.operations.cluster.supervise import Launched, is_ours
from minwon.operations.dr.site import DrPolicy
from minwon.operations.dr.watch import SiteWatch
from minwon.operations.processes import ensure_os_user

ROUND_SECONDS = 0.5


def describe_exit(returncode: int) -> str:
    """Returns how a child ended, as a person reads it: ``SIGKILL`` or ``exit code 1``."""
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


class Supervisor:
    """Starts again the dead processes of the cluster in `root`, round after round."""

    def __init__(
        self, root: Path, *, interval: float = ROUND_SECONDS, out: TextIO | None = None
    ) -> None:
        self.root = Path(root).absolute()
        self.interval = interval
        self.out = out or sys.stdout
        self._store = StateStore(self.root / STATE_FILE)
        self._watches: dict[ProcessRef, Watch] = {}
        self._children: dict[int, subprocess.Popen[bytes]] = {}  # started by this process
        self._exits: dict[int, str] = {}  # how a child of ours ended, by PID
        self._quiet: set[ProcessRef] = set()  # held parts already logged as held
        self._credentials: Credentials | None = None
        self._stopping = False
        self._backups: ScheduledBackups | None = None
        self._site: SiteWatch | None = None

    def log(self, message: str) -> None:
        """Writes one timestamped line to the supervisor's log (its standard output)."""
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        print(f"{stamp} {message}", file=self.out, flush=True)

    def run(self) -> None:
        """Supervises until SIGTERM/SIGINT or until the cluster's state is gone."""

        def stop(signum: int, _: FrameType | None) -> None:
            self._stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.log(f"supervising {self.root} every {self.interval:g} s")
        while not self._stopping:
            began = time.monotonic()
            try:
                if not self.round():
                    self.log("no cluster state any more: stopping")
                    break
            except Exception as exc:  # a loop that survives: log it, try again next round
                self.log(f"round failed: {type(exc).__name__}: {exc}")
            time.sleep(max(0.0, self.interval - (time.monotonic() - began)))
        else:
            self.log("stopped (SIGTERM)")
        if self._backups is not None:
            self._backups.stop()

    def round(self) -> bool:
        """Looks at every process once and starts the ones that are due; returns False
        once there is no cluster to supervise."""
        (self.root / BEAT_FILE).touch()
        self._reap()
        now = time.monotonic()
        with self._store.update() as state:
            if state is None or not state.processes:
                return False
            for ref, launched in list(state.processes.items()):
                if is_supervised(ref.kind):
                    self._look_at(state, ref, launched, now)
            spec, os_user, schedule = state.spec, state.os_user, state.backup_schedule
            dr_policy = state.dr_policy
        if spec.standby is not None:  # a second site: it watches the primary site
            if self._site is None:
                self._site = SiteWatch(self.root, log=self.log)
            self._site.tick(spec, DrPolicy.from_dict(dr_policy))
        if schedule:  # outside the lock: asking the repository takes a moment
            if self._backups is None:
                self._backups = ScheduledBackups(
                    BackupSchedule.from_dict(schedule),
                    log=self.log,
                    log_file=self.root / "logs" / "backup.log",
                )
            self._backups.tick(spec, ensure_os_user(os_user))
        return True

    def _reap(self) -> None:
        # Before anything checks them with is_ours (whose waitpid would swallow the exit
        # status), collect how our own children ended.
        for pid, child in list(self._children.items()):
            code = child.poll()
            if code is not None:
                self._exits[pid] = describe_exit(code)
                del self._children[pid]

    def _alive(self, launched: Launched) -> bool:
        if launched.pid in self._children:
            return True  # our child, not yet reaped: its PID cannot have been reused
        return launched.pid not in self._exits and is_ours(launched)

    def _cause(self, state: ClusterState, ref: ProcessRef, launched: Launched) -> str:
        found = self._exits.get(launched.pid)
        if found is not None:
            return found
        if ref in state.killed:
            return "killed by `minwon cluster kill`"
        return "unknown (not started by the supervisor)"

    def _look_at(
        self, state: ClusterState, ref: ProcessRef, launched: Launched, now: float
    ) -> None:
        watch = self._watches.get(ref)
        if watch is None or watch.pid != launched.pid:
            watch = self._watches[ref] = Watch.found(launched.pid, now)
        was_down = watch.down_since is not None
        base = BASE_DELAY[ref.kind]
        held = ref in state.held
        decision = decide(watch, alive=self._alive(launched), held=held, now=now, base=base)
        if decision is Decision.HELD and ref not in self._quiet:
            self._quiet.add(ref)
            self.log(f"{ref} is down and held (stopped on purpose): left down until started")
        if not held:
            self._quiet.discard(ref)
        if decision is Decision.WAITING and not was_down:
            due = (watch.due_at(base) or now) - now
            cause = self._cause(state, ref, launched)
            self.log(f"{ref} (pid {launched.pid}) is gone: {cause}; starting it in {due:.1f} s")
        elif decision is Decision.RESTART:
            self._restart(state, ref, launched, watch, now)

    def _restart(
        self, state: ClusterState, ref: ProcessRef, old: Launched, watch: Watch, now: float
    ) -> None:
        cause = self._cause(state, ref, old)
        down_for = now - (watch.down_since or now)
        if self._credentials is None:
            self._credentials = read_credentials(self.root)
        try:
            new, child = launch(self.root, state, self._credentials, ref, rejoin=True)
        except Exception as exc:  # e.g. the binary vanished: back off as after a crash
            watch.restarted(old.pid, now)
            watch.down_since, watch.failures = now, watch.failures + 1
            self.log(f"could not start {ref}: {type(exc).__name__}: {exc}")
            return
        self._children[new.pid] = child
        state.record(ref, new)
        record = state.count_restart(ref, at=time.time(), exit=cause)
        watch.restarted(new.pid, now)
        self.log(
            f"started {ref} again: pid {old.pid} → {new.pid}, {down_for:.1f} s after it was "
            f"found gone ({cause}); restart {record.count}"
        )
