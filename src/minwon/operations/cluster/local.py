"""A complete Minwon cluster as OS processes on 127.0.0.1: ``minwon cluster up``.

3 etcd members, 3 Patroni-managed PostgreSQL nodes (strict synchronous replication),
2 HAProxy paths and N app instances, each on a free port, each started by PID and
stopped by PID. Database processes run as the unprivileged ``minwon-db`` user. How each
kind starts, is ready and stops is the table in ``kinds.py``.

Layout of ``<root>`` (the caller's folder): ``state.json`` (``state.py``),
``secrets.json`` (0600), ``logs/<process>.log``, ``app/`` (the app's data folder). Data and
configuration live in ``<root>/run``, or in ``/var/tmp/minwon-cluster-<id>`` when the
database user cannot reach ``<root>`` (root's home, pytest's temporary folders).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from minwon.operations.clock import wait_until
from minwon.operations.cluster.errors import (
    ClusterError,
    ClusterNotFoundError,
    MissingBinaryError,
    UnknownProcessError,
)
from minwon.operations.cluster.faults import PauseTarget, ProcessKind, ProcessRef
from minwon.operations.cluster.host import find_binaries
from minwon.operations.cluster.kinds import KINDS, START_ORDER, STOP_ORDER, KindContext
from minwon.operations.cluster.pause import Pauses
from minwon.operations.cluster.probes import collect_status, fetch_cluster
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.state import ClusterState
from minwon.operations.cluster.status import ClusterStatus, parse_members
from minwon.operations.cluster.supervise import Launched, is_ours, log_tail, signal_ours, spawn
from minwon.operations.cluster.switchover import request_switchover, settled_leader
from minwon.operations.cluster.workspace import (
    SECRETS_FILE,
    prepare,
    prepare_app_data,
    remove_data,
)
from minwon.operations.processes import OsUser, ensure_os_user

STATE_FILE = "state.json"

__all__ = [
    "ClusterError",
    "ClusterNotFoundError",
    "LocalCluster",
    "MissingBinaryError",
    "find_binaries",
]


class LocalCluster:
    """The local cluster whose state lives in `root`; any process can attach to it."""

    def __init__(self, root: Path, *, apps: int = 2, os_user: str = "minwon-db") -> None:
        self.root = Path(root).absolute()
        self.apps = apps
        self.os_user = os_user
        self.keep = False
        self.timings: dict[str, float] = {}
        self._popen: dict[ProcessRef, subprocess.Popen[bytes]] = {}
        self._state = ClusterState.load(self.state_file)
        self._credentials: Credentials | None = None

    # -- state --------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        """Returns the path of ``state.json``."""
        return self.root / STATE_FILE

    @property
    def exists(self) -> bool:
        """Returns True if `root` holds the state of a started cluster."""
        return self._state is not None

    def _require_state(self) -> ClusterState:
        if self._state is None:
            raise ClusterNotFoundError(f"no cluster state in {self.root} (start one with `up`)")
        return self._state

    def _save_state(self) -> None:
        self._require_state().save(self.state_file)

    @property
    def spec(self) -> ClusterSpec:
        """Returns the running cluster's spec (ports, paths)."""
        return self._require_state().spec

    @property
    def credentials(self) -> Credentials:
        """Returns the cluster's passwords (from ``secrets.json``)."""
        if self._credentials is None:
            path = self.root / SECRETS_FILE
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ClusterNotFoundError(f"cannot read {path}: {exc}") from exc
            self._credentials = Credentials.from_dict(data)
        return self._credentials

    @property
    def run_dir(self) -> Path:
        """Returns the folder that holds the cluster's data and configuration."""
        return Path(self._require_state().run_dir)

    def _context(self) -> KindContext:
        state = self._require_state()
        return KindContext(state.spec, self.credentials, state.haproxy_bin, state.python)

    # -- up -----------------------------------------------------------------------------

    def up(self, *, demo_residents: int = 2000, seed: int = 1) -> None:
        """Starts etcd, Patroni, HAProxy and the apps; returns once all of it is healthy.

        On any failure stops whatever was started and raises ClusterError with the end
        of the relevant log.
        """
        if self._state is not None and self.pids():
            raise ClusterError(f"a cluster is already running from {self.root} (`down` first)")
        binaries = find_binaries()
        user = ensure_os_user(self.os_user)
        self.timings = {}
        steps: list[tuple[str, Callable[[], None]]] = [
            ("prepare", partial(self._prepare, binaries, user)),
        ]
        for kind in START_ORDER:
            if kind is ProcessKind.APP:
                steps.append(("app_data", partial(self._prepare_app, demo_residents, seed)))
            steps.append((KINDS[kind].step, partial(self._start_all, kind)))
        try:
            for name, step in steps:
                began = time.monotonic()
                step()
                self.timings[name] = round(time.monotonic() - began, 2)
        except BaseException:
            self.down()
            raise
        self._require_state().timings = dict(self.timings)
        self._save_state()

    def _prepare(self, binaries: dict[str, str], user: OsUser) -> None:
        if self._state is not None:
            remove_data(self.root, self._state)
        self._state, self._credentials = prepare(
            self.root, binaries=binaries, user=user, apps=self.apps
        )
        self._save_state()

    def _log(self, name: str) -> Path:
        return self.root / "logs" / f"{name.replace(':', '-')}.log"

    def _spawn(self, ref: ProcessRef, *, rejoin: bool) -> Launched:
        command = KINDS[ref.kind].command
        if command is None:
            raise ClusterError(f"{ref} is not started by the launcher")
        state = self._require_state()
        how = command(self._context(), ref.name, rejoin)
        launched, process = spawn(
            str(ref),
            list(how.argv),
            log=self._log(str(ref)),
            cwd=how.cwd,
            env=how.env,
            user=ensure_os_user(state.os_user) if how.as_db_user else None,
        )
        self._popen[ref] = process
        state.record(ref, launched)
        self._save_state()
        return launched

    def _start_all(self, kind: ProcessKind) -> None:
        row = KINDS[kind]
        refs = [ProcessRef(kind, name) for name in row.names(self.spec)]
        for ref in refs:
            self._spawn(ref, rejoin=False)
        if row.readiness is not None:
            context = self._context()
            check = row.readiness.check
            self._wait(row.readiness.what, lambda: check(context), row.readiness.timeout, refs)

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
            tails = "\n".join(f"--- {r}\n{log_tail(self._log(str(r)), 1500)}" for r in watch)
            raise ClusterError(f"{what} not ready within {timeout:.0f} s:\n{tails}")

    # -- down ---------------------------------------------------------------------------

    def down(self, *, keep: bool | None = None) -> None:
        """Stops apps, HAProxy, Patroni (and PostgreSQL), etcd by PID; removes the data.

        Idempotent; never raises for processes that are already gone. `keep` (or
        ``self.keep``) keeps data and state for inspection.
        """
        if self._state is None:
            return
        keep = self.keep if keep is None else keep
        state = self._state
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
        if keep:
            state.processes = {}
            state.stopped_at = time.time()
            self._save_state()
            return
        remove_data(self.root, state)
        for name in (STATE_FILE, SECRETS_FILE):
            (self.root / name).unlink(missing_ok=True)
        self._state = None

    # -- observation --------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Returns a snapshot of every member, etcd, HAProxy path and app."""
        return collect_status(self.spec, self.credentials)

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

    def app_urls(self) -> list[str]:
        """Returns the base URL of every app instance."""
        return [app.url for app in self.spec.apps]

    def haproxy_ports(self) -> list[int]:
        """Returns the port of every HAProxy path."""
        return [proxy.port for proxy in self.spec.haproxies]

    def database_url(self) -> str:
        """Returns the app's multi-host URL (both HAProxy paths, read-write only)."""
        return self.spec.database_url(self.credentials.app_password)

    def member_url(self, member: str) -> str:
        """Returns a SQLAlchemy URL straight to `member`'s PostgreSQL, as the app user."""
        return self.spec.member_url(member, self.credentials.app_password)

    def rest_url(self, member: str) -> str:
        """Returns the base URL of `member`'s Patroni REST API."""
        return self.spec.node(member).rest_url

    def ports(self) -> list[int]:
        """Returns every port the cluster listens on."""
        spec = self.spec
        return sorted(
            [p for m in spec.etcd for p in (m.client_port, m.peer_port)]
            + [p for n in spec.nodes for p in (n.pg_port, n.rest_port)]
            + [p for h in spec.haproxies for p in (h.port, h.stats_port)]
            + [a.port for a in spec.apps]
        )

    def pids(self) -> dict[str, int]:
        """Returns the PIDs this launcher started and that are still alive, by name."""
        processes = self._require_state().processes
        return {str(ref): item.pid for ref, item in processes.items() if is_ours(item)}

    # -- faults -------------------------------------------------------------------------

    def _known(self, ref: ProcessRef) -> ProcessRef:
        names = KINDS[ref.kind].names(self.spec)
        if ref.name not in names:
            raise UnknownProcessError(f"no {ref.kind} named {ref.name!r} (known: {names})")
        return ref

    def _find_pid(self, ref: ProcessRef) -> int | None:
        row = KINDS[self._known(ref).kind]
        if row.find_pid is not None:
            return row.find_pid(self._context(), ref.name)
        launched = self._require_state().processes.get(ref)
        return launched.pid if launched is not None and is_ours(launched) else None

    def kill(self, process: ProcessRef, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to one process: a postmaster (found by its data directory), a
        Patroni, an etcd member, an HAProxy path or an app. Records it as killed."""
        state = self._require_state()
        if KINDS[self._known(process).kind].find_pid is not None:
            pid = self._find_pid(process)
            if pid is None:
                raise ClusterError(f"{process} is not running")
            os.kill(pid, sig)
        else:
            launched = state.processes.get(process)
            if launched is None:
                raise ClusterError(f"no process {process} was started")
            if not signal_ours(launched, sig):
                raise ClusterError(f"{process} is not running")
        state.mark_killed(process)
        self._save_state()

    def start(self, process: ProcessRef) -> None:
        """Starts a stopped process again (no-op if it runs): a Patroni node (which starts
        its PostgreSQL), an etcd member (rejoins), an HAProxy path or an app instance."""
        state = self._require_state()
        started_by = KINDS[self._known(process).kind].started_by
        target = ProcessRef(started_by, process.name) if started_by else process
        # Starting a Patroni starts its PostgreSQL: neither counts as killed any more.
        runs_too = [
            ProcessRef(k, target.name) for k, r in KINDS.items() if r.started_by is target.kind
        ]
        launched = state.processes.get(target)
        if launched is None or not is_ours(launched):
            self._spawn(target, rejoin=True)
        state.forget_killed(process, target, *runs_too)
        self._save_state()

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
