"""A complete Minwon cluster as OS processes on 127.0.0.1: ``minwon cluster up``.

3 etcd members, 3 Patroni-managed PostgreSQL nodes (strict synchronous replication),
2 HAProxy paths and N app instances, each on a free port, each started by PID and
stopped by PID, and last a supervisor (``supervisor.py``) that starts again any of them
that dies, as systemd's ``Restart=`` does on real hosts. Database processes run as the
unprivileged ``minwon-db`` user. How each kind starts, is ready and stops is the table in
``kinds.py``; killing, stopping, starting and holding one is ``control.py``.

Layout of ``<root>`` (the caller's folder): ``state.json`` (``state.py``, with its lock
``state.lock``), ``secrets.json`` (0600), ``logs/<process>.log`` (``logs/supervisor.log``:
every restart), ``supervisor.beat``, ``app/`` (the app's data folder). Data and
configuration live in ``<root>/run``, or in ``/var/tmp/minwon-cluster-<id>`` when the
database user cannot reach ``<root>`` (root's home, pytest's temporary folders).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.clock import wait_until
from minwon.operations.cluster.control import (
    BEAT_FILE,
    STATE_FILE,
    log_path,
    read_credentials,
)
from minwon.operations.cluster.errors import (
    ClusterError,
    ClusterNotFoundError,
    MissingBinaryError,
)
from minwon.operations.cluster.faults import PauseTarget, ProcessKind, ProcessRef
from minwon.operations.cluster.fence_mark import clear as clear_fence
from minwon.operations.cluster.fence_mark import refuse_if_fenced
from minwon.operations.cluster.host import find_binaries
from minwon.operations.cluster.kinds import (
    KINDS,
    STANDBY_START_ORDER,
    START_ORDER,
    STOP_ORDER,
)
from minwon.operations.cluster.pause import Pauses
from minwon.operations.cluster.probes import collect_status, fetch_cluster
from minwon.operations.cluster.site_control import SiteControl
from minwon.operations.cluster.status import ClusterStatus, parse_members
from minwon.operations.cluster.supervise import is_ours, log_tail
from minwon.operations.cluster.switchover import request_switchover, settled_leader
from minwon.operations.cluster.topology import Placement, SiteShape
from minwon.operations.cluster.workspace import (
    SECRETS_FILE,
    copy_app_keys,
    prepare,
    prepare_app_data,
    remove_data,
)
from minwon.operations.network.netns import Namespace
from minwon.operations.processes import OsUser, ensure_os_user

__all__ = [
    "ClusterError",
    "ClusterNotFoundError",
    "LocalCluster",
    "MissingBinaryError",
    "find_binaries",
]


class LocalCluster(SiteControl):
    """The local cluster whose state lives in `root`; any process can attach to it.

    With a `backup_schedule` the supervisor takes full and differential backups when they
    are due (``backups.py``); without one, backups run only when asked for.

    With a `placement` each database host's processes run in that host's network
    namespace, and HAProxy and the apps in the app tier's (``network/hosts.py``); the
    caller then starts, watches and stops it from a thread inside the app tier
    (``HostNetwork.entered``), where every part's address can be reached.
    """

    def __init__(
        self,
        root: Path,
        *,
        apps: int = 2,
        os_user: str = "minwon-db",
        placement: Placement | None = None,
        backup_schedule: BackupSchedule | None = None,
        shape: SiteShape | None = None,
    ) -> None:
        super().__init__(root)
        self.apps = 1 if shape else apps
        self.shape = shape
        self.backup_schedule = backup_schedule
        self.os_user = os_user
        self.placement = placement
        self.keep = False
        self.timings: dict[str, float] = {}

    @property
    def run_dir(self) -> Path:
        """Returns the folder that holds the cluster's data and configuration."""
        return Path(self._require_state().run_dir)

    # -- up -----------------------------------------------------------------------------

    def up(self, *, demo_residents: int = 2000, seed: int = 1) -> None:
        """Starts etcd, Patroni, HAProxy, the apps and the supervisor; returns once all of
        it is healthy.

        On any failure stops whatever was started and raises ClusterError with the end
        of the relevant log.
        """
        if self._state is not None and self.pids():
            raise ClusterError(f"a cluster is already running from {self.root} (`down` first)")
        refuse_if_fenced(self.root)
        if self.placement and not Namespace(self.placement.app_tier).is_current():
            raise ClusterError(
                f"start a cluster placed in namespaces from the app tier's network "
                f"({self.placement.app_tier}): only there does every address answer"
            )
        binaries = find_binaries()
        user = ensure_os_user(self.os_user)
        self.timings = {}
        steps: list[tuple[str, Callable[[], None]]] = [
            ("prepare", partial(self._prepare, binaries, user)),
        ]
        for kind in STANDBY_START_ORDER if self.shape else START_ORDER:
            if kind is ProcessKind.APP and self.shape is not None:
                steps.append(("app_keys", self._copy_keys))  # the data came with the copy
            elif kind is ProcessKind.APP:
                steps.append(("app_data", partial(self._prepare_app, demo_residents, seed)))
            steps.append((KINDS[kind].step, partial(self._start_all, kind)))
        steps.append(("supervisor", self._start_supervisor))  # last: everything is ready
        try:
            for name, step in steps:
                began = time.monotonic()
                step()
                self.timings[name] = round(time.monotonic() - began, 2)
        except BaseException:
            self.down()
            raise
        with self._update() as state:
            state.timings = dict(self.timings)

    def _prepare(self, binaries: dict[str, str], user: OsUser) -> None:
        if self._state is not None:
            remove_data(self.root, self._state)
        state, self._credentials = prepare(
            self.root,
            binaries=binaries,
            user=user,
            apps=self.apps,
            placement=self.placement,
            shape=self.shape,
            credentials=read_credentials(Path(self.shape.primary_root)) if self.shape else None,
        )
        if self.backup_schedule is not None:
            state.backup_schedule = self.backup_schedule.to_dict()
        self._save_new(state)

    def _start_all(self, kind: ProcessKind) -> None:
        row = KINDS[kind]
        refs = [ProcessRef(kind, name) for name in row.names(self.spec)]
        for ref in refs:
            self._spawn(ref, rejoin=False)
        if row.readiness is not None:
            context = self._context()
            check = row.readiness.check
            self._wait(row.readiness.what, lambda: check(context), row.readiness.timeout, refs)

    def _start_supervisor(self) -> None:
        self.start_supervisor()

    def _copy_keys(self) -> None:
        assert self.shape is not None
        copy_app_keys(self.shape.primary.app_data_dir, self.spec)

    def _prepare_app(self, demo_residents: int, seed: int) -> None:
        logs = self.root / "logs"
        prepare_app_data(self._context(), logs=logs, demo_residents=demo_residents, seed=seed)

    def _wait(
        self, what: str, ready: Callable[[], bool], timeout: float, watch: list[ProcessRef]
    ) -> None:
        """Polls `ready` until True; raises ClusterError with the logs if a process died."""
        state = self._require_state()

        def done() -> bool:
            if ready():
                return True
            for ref in watch:
                launched = state.processes.get(ref)
                if launched is not None and not is_ours(launched):
                    raise ClusterError(
                        f"{ref} exited while waiting for {what}:\n{log_tail(launched.log)}"
                    )
            return False

        if not wait_until(done, timeout=timeout, interval=0.2):
            tails = "\n".join(
                f"--- {r}\n{log_tail(log_path(self.root, str(r)), 1500)}" for r in watch
            )
            raise ClusterError(f"{what} not ready within {timeout:.0f} s:\n{tails}")

    # -- down ---------------------------------------------------------------------------

    def down(self, *, keep: bool | None = None) -> None:
        """Stops the supervisor, then apps, HAProxy, Patroni (and PostgreSQL), etcd by
        PID; removes the data.

        Idempotent; never raises for processes that are already gone. `keep` (or
        ``self.keep``) keeps data and state for inspection.
        """
        if self._state is None:
            return
        keep = self.keep if keep is None else keep
        began = time.monotonic()
        self.stop_supervisor()  # first: it would start again what is being stopped
        self.timings["stop_supervisor"] = round(time.monotonic() - began, 2)
        state = self._store.read() or self._state  # with the PIDs the supervisor started
        self.pauses.resume_all()  # a stopped process cannot act on SIGTERM
        for kind in STOP_ORDER:
            row = KINDS[kind]
            launched = [item for ref, item in state.processes.items() if ref.kind is kind]
            began = time.monotonic()
            if row.stop is not None:
                row.stop(state.spec, launched)
            self.timings[f"stop_{row.step}"] = round(time.monotonic() - began, 2)
        for popen in self._popen.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=0.1)
        self._popen.clear()
        (self.root / BEAT_FILE).unlink(missing_ok=True)
        if keep:
            with self._store.locked():
                state.processes, state.supervisor = {}, None
                state.stopped_at = time.time()
                state.save(self.state_file)
            self._state = state
            return
        remove_data(self.root, state)
        clear_fence(self.root)  # with its data gone, nothing of it can be a second primary
        for name in (STATE_FILE, SECRETS_FILE):
            (self.root / name).unlink(missing_ok=True)
        self._store.lock_path.unlink(missing_ok=True)
        self._state = None

    # -- observation --------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Returns a snapshot of every member, etcd, HAProxy path, app, guard and the
        supervisor."""
        current = collect_status(self.spec, self.credentials)
        running = self.pids()
        unguarded = tuple(
            name
            for name in self.spec.member_names
            if str(ProcessRef(ProcessKind.GUARD, name)) not in running
        )
        return replace(current, supervisor=self.supervisor_status(), unguarded=unguarded)

    def wait_healthy(self, timeout: float) -> ClusterStatus:
        """Returns the status once healthy; raises ClusterError with the problems if not."""
        seen: list[ClusterStatus] = []

        def healthy() -> bool:
            seen[:] = [self.status()]
            return seen[0].healthy

        if not wait_until(healthy, timeout=timeout):
            problems = "; ".join(seen[0].problems)
            raise ClusterError(f"cluster not healthy within {timeout:.0f} s: {problems}")
        return seen[0]

    def leader(self) -> str:
        """Returns the name of the current leader (from Patroni's ``GET /cluster``)."""
        raw = fetch_cluster(self.spec)
        leaders = [m.name for m in parse_members(raw or {}) if m.is_leader]
        if len(leaders) != 1:
            raise ClusterError(f"no single leader right now ({leaders})")
        return leaders[0]

    def members(self) -> list[str]:
        """Returns the names of the configured members (pg1, pg2, pg3)."""
        return self.spec.member_names

    def postmaster_pid(self, member: str) -> int:
        """Returns the PID of the member's postmaster (first line of postmaster.pid)."""
        pid = self._find_pid(ProcessRef(ProcessKind.POSTGRES, member))
        if pid is None:
            raise ClusterError(f"PostgreSQL of {member} is not running")
        return pid

    def patroni_pid(self, member: str) -> int:
        """Returns the PID of the member's Patroni daemon."""
        pid = self._find_pid(ProcessRef(ProcessKind.PATRONI, member))
        if pid is None:
            raise ClusterError(f"Patroni of {member} is not running")
        return pid

    # -- gray faults and switchover -----------------------------------------------------

    @property
    def pauses(self) -> Pauses:
        """Returns the SIGSTOP faults of this cluster (``pause.py``)."""
        return Pauses(self.root, self._find_pid)

    def pause(self, target: PauseTarget) -> list[int]:
        """Freezes `target` (SIGSTOP), e.g. ``walreceiver("pg2")``; returns the PIDs."""
        return self.pauses.pause(target)

    def resume(self, target: PauseTarget) -> list[int]:
        """Thaws what the pause of `target` froze (SIGCONT); returns the PIDs."""
        return self.pauses.resume(target)

    def switchover(self, candidate: str | None = None) -> str:
        """Moves the leader role (POST /switchover); returns the new leader once it runs
        and the old one streams from it again."""
        old = self.leader()
        if candidate:
            candidate = self._known(ProcessRef(ProcessKind.PATRONI, candidate)).name
        request_switchover(self.spec, self.credentials, old=old, candidate=candidate)
        new: list[str] = []

        def settled() -> bool:
            new[:] = [settled_leader(self.spec, old=old, candidate=candidate) or ""]
            return bool(new[0])

        self._wait("switchover", settled, 90, [])
        return new[0]
