"""Acting on a local cluster's processes by PID: find, kill, stop, start, hold, supervise.

``ProcessControl`` is the part of ``LocalCluster`` that changes which processes run; it
reads and writes ``state.json`` only through ``StateStore`` (locked read-modify-write),
because the supervisor (``supervisor.py``) writes it too. A part a person stopped
(``stop``) or a fault holds down (``kill(..., hold=True)``) is in ``state.held`` and the
supervisor leaves it down until ``start`` clears the hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from minwon.operations.cluster.errors import (
    ClusterError,
    ClusterNotFoundError,
    UnknownProcessError,
)
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.fence_mark import refuse_if_fenced
from minwon.operations.cluster.kinds import KINDS, KindContext
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.state import ClusterState, StateStore
from minwon.operations.cluster.status import SupervisorStatus
from minwon.operations.cluster.supervise import Launched, is_ours, signal_ours, spawn, stop_ours
from minwon.operations.cluster.workspace import SECRETS_FILE
from minwon.operations.processes import ensure_os_user

STATE_FILE = "state.json"
BEAT_FILE = "supervisor.beat"  # touched by the supervisor every round
SUPERVISOR = "supervisor"
STOP_TIMEOUT = 30.0  # a Patroni stopping its PostgreSQL (a checkpoint) takes the longest


def log_path(root: Path, name: str) -> Path:
    """Returns the log file of process `name` (``patroni:pg1`` → ``logs/patroni-pg1.log``)."""
    return root / "logs" / f"{name.replace(':', '-')}.log"


def read_credentials(root: Path) -> Credentials:
    """Returns the cluster's passwords from ``<root>/secrets.json``."""
    path = root / SECRETS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClusterNotFoundError(f"cannot read {path}: {exc}") from exc
    return Credentials.from_dict(data)


def launch(
    root: Path, state: ClusterState, credentials: Credentials, ref: ProcessRef, *, rejoin: bool
) -> tuple[Launched, subprocess.Popen[bytes]]:
    """Starts one launcher-started process (etcd, Patroni, HAProxy, app); not recorded.
    Refused for a fenced site (``fence_mark.py``)."""
    refuse_if_fenced(root)
    command = KINDS[ref.kind].command
    if command is None:
        raise ClusterError(f"{ref} is not started by the launcher")
    context = kind_context(state, credentials)
    how = command(context, ref.name, rejoin)
    return spawn(
        str(ref),
        list(how.argv),
        log=log_path(root, str(ref)),
        cwd=how.cwd,
        env=how.env,
        user=ensure_os_user(state.os_user) if how.as_db_user else None,
        netns=how.netns,
    )


def kind_context(state: ClusterState, credentials: Credentials) -> KindContext:
    """Returns what starting or checking a process of this cluster needs."""
    pythons = {name: state.app_python(name) for name in state.app_builds}
    return KindContext(
        state.spec, credentials, state.haproxy_bin, state.python, pythons, root=state.root
    )


def launched_by(ref: ProcessRef) -> ProcessRef:
    """Returns the process the launcher starts for `ref` (a postmaster's Patroni)."""
    started_by = KINDS[ref.kind].started_by
    return ProcessRef(started_by, ref.name) if started_by else ref


class ProcessControl:
    """The processes of the cluster whose state lives in `root`, acted on by PID."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._store = StateStore(self.root / STATE_FILE)
        self._state = self._store.read()
        self._credentials: Credentials | None = None
        self._popen: dict[str, subprocess.Popen[bytes]] = {}

    # -- state --------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        """Returns the path of ``state.json``."""
        return self._store.path

    @property
    def exists(self) -> bool:
        """Returns True if `root` holds the state of a started cluster."""
        return self._state is not None

    def _require_state(self) -> ClusterState:
        """Returns the state as this object last read or wrote it (spec, paths)."""
        if self._state is None:
            raise ClusterNotFoundError(f"no cluster state in {self.root} (start one with `up`)")
        return self._state

    def _fresh(self) -> ClusterState:
        """Returns the state as saved now: the supervisor may have started processes."""
        self._require_state()
        self._state = self._store.read()
        return self._require_state()

    @contextlib.contextmanager
    def _update(self) -> Iterator[ClusterState]:
        """Yields the saved state under the lock; saves it if changed (not on an error)."""
        self._require_state()
        with self._store.update() as state:
            if state is None:
                raise ClusterNotFoundError(f"no cluster state in {self.root}")
            yield state
        self._state = state

    def _save_new(self, state: ClusterState) -> None:
        """Saves a state that replaces whatever was saved before (``up`` only)."""
        with self._store.locked():
            state.save(self.state_file)
        self._state = state

    @property
    def spec(self) -> ClusterSpec:
        """Returns the running cluster's spec (ports, paths)."""
        return self._require_state().spec

    @property
    def credentials(self) -> Credentials:
        """Returns the cluster's passwords (from ``secrets.json``)."""
        if self._credentials is None:
            self._credentials = read_credentials(self.root)
        return self._credentials

    def _context(self) -> KindContext:
        return kind_context(self._require_state(), self.credentials)

    # -- finding ------------------------------------------------------------------------

    def _known(self, ref: ProcessRef) -> ProcessRef:
        names = KINDS[ref.kind].names(self.spec)
        if ref.name not in names:
            raise UnknownProcessError(f"no {ref.kind} named {ref.name!r} (known: {names})")
        return ref

    def _find_pid(self, ref: ProcessRef) -> int | None:
        row = KINDS[self._known(ref).kind]
        if row.find_pid is not None:
            return row.find_pid(self._context(), ref.name)
        launched = self._fresh().processes.get(ref)
        return launched.pid if launched is not None and is_ours(launched) else None

    def pids(self) -> dict[str, int]:
        """Returns the PIDs this launcher (or its supervisor) started that still run."""
        state = self._fresh()
        found = {str(ref): item.pid for ref, item in state.processes.items() if is_ours(item)}
        if state.supervisor is not None and is_ours(state.supervisor):
            found[SUPERVISOR] = state.supervisor.pid
        return found

    def held(self) -> list[ProcessRef]:
        """Returns the parts held down on purpose (the supervisor leaves them stopped)."""
        return list(self._fresh().held)

    # -- acting -------------------------------------------------------------------------

    def _spawn(self, ref: ProcessRef, *, rejoin: bool) -> Launched:
        with self._update() as state:
            launched, process = launch(self.root, state, self.credentials, ref, rejoin=rejoin)
            state.record(ref, launched)
        self._popen[str(ref)] = process
        return launched

    def kill(self, process: ProcessRef, sig: int = signal.SIGKILL, *, hold: bool = False) -> None:
        """Sends `sig` to one process: a postmaster (found by its data directory), a
        Patroni, an etcd member, an HAProxy path or an app. Records it as killed.

        The supervisor starts a killed process again after its restart delay; with
        `hold` (a dead host) it leaves it, or for a postmaster its Patroni, down until
        ``start``."""
        self._known(process)
        with self._update() as state:  # the supervisor cannot restart it in between
            if hold:
                state.hold(launched_by(process))
            if KINDS[process.kind].find_pid is not None:
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

    def stop(self, process: ProcessRef, *, timeout: float = STOP_TIMEOUT) -> bool:
        """Stops one part gracefully (SIGTERM, SIGKILL after `timeout`) and holds it down
        until ``start``; a postmaster is stopped by stopping its Patroni. Returns False
        if it was not running (it is held down all the same)."""
        target = launched_by(self._known(process))
        with self._update() as state:
            state.hold(target)
            launched = state.processes.get(target)
        if launched is None or not is_ours(launched):
            return False
        # Outside the lock: a Patroni may take seconds to stop its PostgreSQL.
        stop_ours(launched, timeout=timeout)
        return True

    def start(self, process: ProcessRef) -> None:
        """Clears any hold and starts a stopped process again (no-op if it runs): a
        Patroni node (which starts its PostgreSQL), an etcd member (rejoins), an HAProxy
        path or an app instance."""
        target = launched_by(self._known(process))
        # Starting a Patroni starts its PostgreSQL: neither counts as killed any more.
        runs_too = [
            ProcessRef(k, target.name) for k, r in KINDS.items() if r.started_by is target.kind
        ]
        with self._update() as state:
            state.release(target)
            launched = state.processes.get(target)
            if launched is None or not is_ours(launched):
                launched, popen = launch(self.root, state, self.credentials, target, rejoin=True)
                state.record(target, launched)
                self._popen[str(target)] = popen
            state.forget_killed(process, target, *runs_too)

    def assign_build(self, app: str, build_id: str, python: str) -> None:
        """Records that app instance `app` runs build `build_id` from now on: its next
        start (by ``start`` or the supervisor) uses that build's `python`."""
        self.spec.app(app)  # KeyError for an unknown instance
        with self._update() as state:
            state.app_builds[app] = {"id": build_id, "python": python}

    def app_build(self, app: str) -> dict[str, str] | None:
        """Returns the build a release assigned to `app` ({"id", "python"}), if any."""
        return self._fresh().app_builds.get(app)

    def launched_log(self, ref: ProcessRef) -> str | None:
        """Returns the log file of the process last started for `ref`."""
        launched = self._fresh().processes.get(ref)
        return launched.log if launched is not None else None

    # -- the supervisor -----------------------------------------------------------------

    def start_supervisor(self) -> int:
        """Starts the supervisor unless it runs; returns its PID once it made a round."""
        beat = self.root / BEAT_FILE
        with self._update() as state:
            running = state.supervisor
            if running is None or not is_ours(running):
                beat.unlink(missing_ok=True)
                argv = self._context().minwon_argv("cluster", "supervise", "--root", str(self.root))
                running, popen = spawn(
                    SUPERVISOR,
                    argv,
                    log=log_path(self.root, SUPERVISOR),
                    cwd=self.root,
                    env=dict(os.environ),
                    user=None,
                )
                state.supervisor = running
                self._popen[SUPERVISOR] = popen
        deadline = time.monotonic() + 60
        while not beat.exists():
            if not is_ours(running) or time.monotonic() > deadline:
                raise ClusterError(f"the supervisor did not start (see {running.log})")
            time.sleep(0.1)
        return running.pid

    def stop_supervisor(self, sig: int = signal.SIGTERM) -> bool:
        """Stops the supervisor (it finishes its round first); False if it was not running.

        Nothing starts it again: ``status`` reports it until ``start_supervisor``."""
        state = self._fresh()
        running = state.supervisor
        if running is None or not is_ours(running):
            return False
        stop_ours(running, timeout=10, sig=sig)
        return True

    def supervisor_status(self) -> SupervisorStatus | None:
        """Returns whether the supervisor runs, its last round and what it restarted."""
        state = self._fresh()
        if state.supervisor is None:
            return None  # started by a launcher without one
        try:
            age: float | None = max(0.0, time.time() - (self.root / BEAT_FILE).stat().st_mtime)
        except OSError:
            age = None
        return SupervisorStatus(
            running=is_ours(state.supervisor),
            pid=state.supervisor.pid,
            last_round_seconds=round(age, 2) if age is not None else None,
            restarts=tuple(sorted((str(ref), r.count) for ref, r in state.restarts.items())),
            held=tuple(sorted(str(ref) for ref in state.held)),
        )


def is_supervised(kind: ProcessKind) -> bool:
    """Returns True for the kinds the supervisor starts again (not PostgreSQL: Patroni does)."""
    return KINDS[kind].command is not None
