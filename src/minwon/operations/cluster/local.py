"""A complete Minwon cluster as OS processes on 127.0.0.1: ``minwon cluster up``.

3 etcd members, 3 Patroni-managed PostgreSQL nodes (strict synchronous replication),
2 HAProxy paths and N app instances, each on a free port, each started by PID and
stopped by PID. Database processes run as the unprivileged ``minwon-db`` user.

Layout of ``<root>`` (the caller's folder): ``state.json`` (spec, PIDs, command lines),
``secrets.json`` (0600), ``logs/<process>.log``, ``app/`` (the app's data folder). Data and
configuration live in ``<root>/run``, or in ``/var/tmp/minwon-cluster-<id>`` when the
database user cannot reach ``<root>`` (root's home, pytest's temporary folders).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from minwon.operations.cluster import render
from minwon.operations.cluster.render import RenderedFile
from minwon.operations.cluster.spec import (
    ClusterSpec,
    Credentials,
    local_spec,
)
from minwon.operations.cluster.status import (
    ClusterStatus,
    app_ready,
    collect_status,
    etcd_healthy,
    fetch_cluster,
    parse_members,
    reaches_primary,
)
from minwon.operations.cluster.supervise import (
    ClusterError,
    Launched,
    is_ours,
    log_tail,
    signal_ours,
    spawn,
    stop_many,
)
from minwon.operations.cluster.supervise import postmaster_pid as read_postmaster_pid
from minwon.operations.local_postgres import PostgresNotFoundError, find_pg_bindir
from minwon.operations.processes import OsUser, ensure_os_user, free_port

STATE_FILE = "state.json"
SECRETS_FILE = "secrets.json"
DEFAULT_PORTS = frozenset({2379, 2380, 5000, 5432, 7000, 8000, 8008})
PROCESS_KINDS = ("postgres", "patroni", "etcd", "haproxy", "app")

__all__ = ["ClusterError", "ClusterNotFoundError", "LocalCluster", "MissingBinaryError"]


class ClusterNotFoundError(ClusterError):
    """No cluster state in the given folder (never started, or already stopped)."""


class MissingBinaryError(ClusterError):
    """A program the cluster needs (etcd, haproxy, patroni, postgres) is not installed."""


def find_binaries() -> dict[str, str]:
    """Returns the paths of etcd, haproxy, patroni and the PostgreSQL bin directory.

    Raises MissingBinaryError naming every one that is missing and how to install it.
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    venv_bin = Path(sys.executable).parent
    for name, fallbacks in (
        ("etcd", ["/usr/bin/etcd"]),
        ("haproxy", ["/usr/sbin/haproxy"]),
        ("patroni", [str(venv_bin / "patroni")]),
    ):
        candidates = [str(venv_bin / name), *fallbacks]
        path = next((c for c in candidates if os.access(c, os.X_OK)), None) or shutil.which(name)
        if path:
            found[name] = path
        else:
            missing.append(name)
    try:
        found["pg_bindir"] = str(find_pg_bindir())
    except PostgresNotFoundError:
        missing.append("postgres")
    if missing:
        raise MissingBinaryError(
            f"missing: {', '.join(missing)} (install with `make setup`: Debian packages "
            "etcd-server haproxy postgresql-15 and pip extra `.[cluster]` for Patroni)"
        )
    return found


class LocalCluster:
    """The local cluster whose state lives in `root`; any process can attach to it."""

    def __init__(self, root: Path, *, apps: int = 2, os_user: str = "minwon-db") -> None:
        self.root = Path(root).absolute()
        self.apps = apps
        self.os_user = os_user
        self.keep = False
        self.timings: dict[str, float] = {}
        self._popen: dict[str, subprocess.Popen[bytes]] = {}
        self._state: dict[str, Any] | None = self._load_state()
        self._spec: ClusterSpec | None = None
        self._credentials: Credentials | None = None

    # -- state --------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE

    @property
    def exists(self) -> bool:
        """Returns True if `root` holds the state of a started cluster."""
        return self._state is not None

    def _load_state(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def _save_state(self) -> None:
        assert self._state is not None
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._state, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.state_file)

    def _require_state(self) -> dict[str, Any]:
        if self._state is None:
            raise ClusterNotFoundError(f"no cluster state in {self.root} (start one with `up`)")
        return self._state

    @property
    def spec(self) -> ClusterSpec:
        """Returns the running cluster's spec (ports, paths)."""
        if self._spec is None:
            self._spec = ClusterSpec.from_dict(self._require_state()["spec"])
        return self._spec

    @property
    def credentials(self) -> Credentials:
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
        return Path(self._require_state()["run_dir"])

    def _launched(self, name: str) -> Launched | None:
        raw = self._require_state()["processes"].get(name)
        if raw is None:
            return None
        return Launched(raw["name"], int(raw["pid"]), tuple(raw["argv"]), raw["log"])

    def _record(self, launched: Launched) -> None:
        state = self._require_state()
        state["processes"][launched.name] = {
            "name": launched.name,
            "pid": launched.pid,
            "argv": list(launched.argv),
            "log": launched.log,
        }
        if launched.name in state["killed"]:
            state["killed"].remove(launched.name)
        self._save_state()

    def _user(self) -> OsUser:
        return ensure_os_user(self._require_state()["os_user"])

    # -- up -----------------------------------------------------------------------------

    def up(self, *, demo_residents: int = 2000, seed: int = 1) -> None:
        """Starts etcd, Patroni, HAProxy and the apps; returns once all of it is healthy.

        On any failure stops whatever was started and raises ClusterError with the end
        of the relevant log.
        """
        if self._state is not None and self._any_alive():
            raise ClusterError(f"a cluster is already running from {self.root} (`down` first)")
        binaries = find_binaries()
        user = ensure_os_user(self.os_user)
        self.timings = {}
        steps: list[tuple[str, Callable[[], None]]] = [
            ("prepare", lambda: self._prepare(binaries, user)),
            ("etcd", self._start_etcd),
            ("patroni", self._start_patroni),
            ("haproxy", self._start_haproxy),
            ("app_data", lambda: self._prepare_app(demo_residents=demo_residents, seed=seed)),
            ("apps", self._start_apps),
        ]
        try:
            for name, step in steps:
                began = time.monotonic()
                step()
                self.timings[name] = round(time.monotonic() - began, 2)
        except BaseException:
            self.down()
            raise
        self._require_state()["timings"] = self.timings
        self._save_state()

    def _any_alive(self) -> bool:
        return bool(self._state is not None and self.pids())

    def _prepare(self, binaries: dict[str, str], user: OsUser) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "logs").mkdir(exist_ok=True)
        if self._state is not None:
            self._remove_data(self._state)
        run_dir = self.root / "run"
        if not _traversable(self.root, user):
            run_dir = Path("/var/tmp") / f"minwon-cluster-{secrets.token_hex(4)}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(mode=0o755, parents=True)
        config_dir = run_dir / "config"
        ports = _PortAllocator()
        spec = local_spec(
            run_dir=str(run_dir),
            config_dir=str(config_dir),
            app_data_dir=str(self.root / "app"),
            apps=self.apps,
            next_port=ports.next,
            pg_bindir=binaries["pg_bindir"],
            patroni_bin=binaries["patroni"],
            etcd_bin=binaries["etcd"],
            minwon_bin=str(Path(sys.executable).parent / "minwon"),
            db_os_user=user.name,
        )
        credentials = Credentials.generate()
        _write_private(self.root / SECRETS_FILE, json.dumps(credentials.to_dict(), indent=2))
        self._spec, self._credentials = spec, credentials
        self._state = {
            "version": 1,
            "root": str(self.root),
            "run_dir": str(run_dir),
            "os_user": user.name,
            "haproxy_bin": binaries["haproxy"],
            "python": sys.executable,
            "started_at": time.time(),
            "spec": spec.to_dict(),
            "processes": {},
            "killed": [],
        }
        self._save_state()
        for member in spec.etcd:
            _own_dir(Path(member.data_dir).parent, user)
        for node in spec.nodes:
            _own_dir(Path(node.node_dir), user)
        for rendered in self._config_files(spec, credentials):
            path = Path(rendered.path)
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            _write_file(path, rendered.text, rendered.mode)
            if path.name == "patroni.env" and os.geteuid() == 0:
                os.chown(path, user.uid, user.gid)  # read by Patroni, like on a real host
        Path(spec.app_data_dir).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _config_files(spec: ClusterSpec, credentials: Credentials) -> list[RenderedFile]:
        files = [render.etcd_env(spec, m) for m in spec.etcd]
        for node in spec.nodes:
            files += [
                render.patroni_yml(spec, node),
                render.patroni_env(spec, node, credentials),
                render.post_bootstrap(spec, node),
            ]
        files += [render.haproxy_cfg(spec, p) for p in spec.haproxies]
        files += [render.app_env(spec, a, credentials) for a in spec.apps]
        return files

    def _log(self, name: str) -> Path:
        return self.root / "logs" / f"{name.replace(':', '-')}.log"

    def _spawn(
        self,
        name: str,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        as_db_user: bool,
    ) -> Launched:
        launched, process = spawn(
            name,
            argv,
            log=self._log(name),
            cwd=cwd,
            env=env,
            user=self._user() if as_db_user else None,
        )
        self._popen[name] = process
        self._record(launched)
        return launched

    def _db_env(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            **extra,
        }

    def _start_etcd_member(self, name: str, *, existing: bool) -> Launched:
        member = self.spec.etcd_member(name)
        env = render.parse_env(Path(member.env_file).read_text(encoding="utf-8"))
        if existing:
            env["ETCD_INITIAL_CLUSTER_STATE"] = "existing"
        return self._spawn(
            f"etcd:{name}",
            [self.spec.etcd_bin],
            cwd=Path(member.data_dir).parent,
            env=self._db_env(env),
            as_db_user=True,
        )

    def _start_etcd(self) -> None:
        for member in self.spec.etcd:
            self._start_etcd_member(member.name, existing=False)
        self._wait(
            "etcd",
            lambda: all(etcd_healthy(m) for m in self.spec.etcd),
            timeout=30,
            logs=[f"etcd:{m.name}" for m in self.spec.etcd],
        )

    def _start_patroni_node(self, name: str) -> Launched:
        node = self.spec.node(name)
        env = render.parse_env(Path(node.env_file).read_text(encoding="utf-8"))
        return self._spawn(
            f"patroni:{name}",
            [self.spec.patroni_bin, node.config_file],
            cwd=Path(node.node_dir),
            env=self._db_env({"HOME": node.node_dir, **env}),
            as_db_user=True,
        )

    def _start_patroni(self) -> None:
        for node in self.spec.nodes:
            self._start_patroni_node(node.name)
        self._wait(
            "Patroni (1 leader, 2 streaming replicas, 1 sync)",
            self._replication_ready,
            timeout=180,
            logs=[f"patroni:{n.name}" for n in self.spec.nodes],
        )

    def _replication_ready(self) -> bool:
        raw = fetch_cluster(self.spec)
        if raw is None:
            return False
        members = parse_members(raw)
        leaders = [m for m in members if m.is_leader and m.state == "running"]
        streaming = [m for m in members if not m.is_leader and m.state == "streaming"]
        return (
            len(leaders) == 1
            and len(streaming) == len(self.spec.nodes) - 1
            and any(m.sync for m in members)
        )

    def _start_haproxy_instance(self, name: str) -> Launched:
        proxy = self.spec.haproxy(name)
        return self._spawn(
            f"haproxy:{name}",
            [self._require_state()["haproxy_bin"], "-db", "-f", proxy.config_file],
            cwd=Path(proxy.config_file).parent,
            env=self._db_env({}),
            as_db_user=True,
        )

    def _start_haproxy(self) -> None:
        for proxy in self.spec.haproxies:
            self._start_haproxy_instance(proxy.name)
        self._wait(
            "HAProxy paths to the primary",
            lambda: all(
                reaches_primary(self.spec, p, self.credentials) for p in self.spec.haproxies
            ),
            timeout=30,
            logs=[f"haproxy:{p.name}" for p in self.spec.haproxies],
        )

    def app_env(self) -> dict[str, str]:
        """Returns the environment the app instances run with (holds the DB password)."""
        env = dict(os.environ)
        env.update(render.parse_env(Path(self.spec.apps[0].env_file).read_text(encoding="utf-8")))
        env.pop("MINWON_KEYS_DIR", None)
        return env

    def _minwon_argv(self, *args: str) -> list[str]:
        return [self._require_state()["python"], "-m", "minwon.cli.main", *args]

    def _prepare_app(self, *, demo_residents: int, seed: int) -> None:
        env = self.app_env()
        for step, args in (
            ("minwon-init", ["init"]),
            (
                "minwon-demo-data",
                ["demo-data", "--residents", str(demo_residents), "--seed", str(seed)],
            ),
        ):
            if step == "minwon-demo-data":
                args.append("--if-empty")
            log = self._log(step)
            with open(log, "ab") as out:
                result = subprocess.run(
                    self._minwon_argv(*args),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.spec.app_data_dir,
                    timeout=900,
                    check=False,
                )
            if result.returncode != 0:
                raise ClusterError(
                    f"`minwon {' '.join(args)}` failed (exit {result.returncode}):\n"
                    + log_tail(log)
                )

    def _start_app_instance(self, name: str) -> Launched:
        app = self.spec.app(name)
        return self._spawn(
            f"app:{name}",
            self._minwon_argv("serve", "--host", app.host, "--port", str(app.port)),
            cwd=Path(self.spec.app_data_dir),
            env=self.app_env(),
            as_db_user=False,
        )

    def _start_apps(self) -> None:
        for app in self.spec.apps:
            self._start_app_instance(app.name)
        self._wait(
            "app instances (GET /readyz)",
            lambda: all(app_ready(a.url) for a in self.spec.apps),
            timeout=60,
            logs=[f"app:{a.name}" for a in self.spec.apps],
        )

    def _wait(
        self, what: str, ready: Callable[[], bool], *, timeout: float, logs: list[str]
    ) -> None:
        """Polls `ready` until True; raises ClusterError with the logs if a process died."""
        deadline = time.monotonic() + timeout
        while True:
            if ready():
                return
            for name in logs:
                launched = self._launched(name)
                if launched is not None and not is_ours(launched):
                    raise ClusterError(
                        f"{name} exited while waiting for {what}:\n{log_tail(launched.log)}"
                    )
            if time.monotonic() >= deadline:
                tails = "\n".join(f"--- {n}\n{log_tail(self._log(n), 1500)}" for n in logs)
                raise ClusterError(f"{what} not ready within {timeout:.0f} s:\n{tails}")
            time.sleep(0.2)

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
        names = list(state["processes"])

        def launched(kind: str) -> list[Launched]:
            items = [self._launched(n) for n in names if n.startswith(f"{kind}:")]
            return [item for item in items if item is not None]

        steps: list[tuple[str, Callable[[], None]]] = [
            ("stop_apps", lambda: stop_many(launched("app"), timeout=10)),
            ("stop_haproxy", lambda: stop_many(launched("haproxy"), timeout=5)),
            ("stop_patroni", lambda: self._stop_patroni(launched("patroni"))),
            ("stop_etcd", lambda: self._stop_etcd(launched("etcd"))),
        ]
        for step_name, step in steps:
            began = time.monotonic()
            step()
            self.timings[step_name] = round(time.monotonic() - began, 2)
        for popen in self._popen.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=0.1)
        self._popen.clear()
        if keep:
            state["processes"] = {}
            state["stopped_at"] = time.time()
            self._save_state()
            return
        self._remove_data(state)
        for name in (STATE_FILE, SECRETS_FILE):
            (self.root / name).unlink(missing_ok=True)
        self._state = None

    @staticmethod
    def _stop_etcd(members: list[Launched]) -> None:
        # One by one: a leaving leader hands over to a live member at once, and the last
        # one has no quorum left to hand over. Stopped together, the leader waited 7 s
        # for a transfer to a member that was itself stopping.
        for member in members:
            stop_many([member], timeout=10)

    def _stop_patroni(self, nodes: list[Launched]) -> None:
        # All at once: a Patroni that received SIGTERM leaves its HA loop, so no replica
        # promotes itself while the leader stops; one at a time costs ~2 s per node.
        stop_many(nodes, timeout=30)
        # A postmaster outlives a SIGKILLed Patroni; stop it by the PID in its data dir.
        for node in self.spec.nodes:
            pid = read_postmaster_pid(Path(node.data_dir))
            if pid is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)  # fast shutdown
            deadline = time.monotonic() + 15
            while read_postmaster_pid(Path(node.data_dir)) == pid:
                if time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.1)

    def _remove_data(self, state: dict[str, Any]) -> None:
        run_dir = Path(state["run_dir"])
        if run_dir.name == "run" or run_dir.name.startswith("minwon-cluster-"):
            shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(self.root / "app", ignore_errors=True)

    # -- observation --------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Returns a snapshot of every member, etcd, HAProxy path and app."""
        return collect_status(self.spec, self.credentials)

    def wait_healthy(self, timeout: float) -> ClusterStatus:
        """Returns the status once healthy; raises ClusterError with the problems if not."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.status()
            if current.healthy:
                return current
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"cluster not healthy within {timeout:.0f} s: " + "; ".join(current.problems)
                )
            time.sleep(0.25)

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
        pid = read_postmaster_pid(Path(self.spec.node(member).data_dir))
        if pid is None:
            raise ClusterError(f"PostgreSQL of {member} is not running")
        return pid

    def patroni_pid(self, member: str) -> int:
        """Returns the PID of the member's Patroni daemon."""
        launched = self._launched(f"patroni:{self.spec.node(member).name}")
        if launched is None or not is_ours(launched):
            raise ClusterError(f"Patroni of {member} is not running")
        return launched.pid

    def app_urls(self) -> list[str]:
        return [app.url for app in self.spec.apps]

    def haproxy_ports(self) -> list[int]:
        return [proxy.port for proxy in self.spec.haproxies]

    def database_url(self) -> str:
        """Returns the app's multi-host URL (both HAProxy paths, read-write only)."""
        return self.spec.database_url(self.credentials.app_password)

    def member_url(self, member: str) -> str:
        """Returns a SQLAlchemy URL straight to `member`'s PostgreSQL, as the app user."""
        return self.spec.member_url(member, self.credentials.app_password)

    def rest_url(self, member: str) -> str:
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
        result = {}
        for name in self._require_state()["processes"]:
            launched = self._launched(name)
            if launched is not None and is_ours(launched):
                result[name] = launched.pid
        return result

    # -- faults -------------------------------------------------------------------------

    def kill(self, process: str, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to one process: ``postgres:pg1`` (the postmaster), ``patroni:pg1``,
        ``etcd:e1``, ``haproxy:1`` or ``app:1``. Records it as killed."""
        kind, name = _split(process)
        if kind == "postgres":
            pid = self.postmaster_pid(name)
            os.kill(pid, sig)
        else:
            launched = self._launched(process)
            if launched is None:
                raise ClusterError(f"no process {process!r} was started")
            if not signal_ours(launched, sig):
                raise ClusterError(f"{process} is not running")
        state = self._require_state()
        if process not in state["killed"]:
            state["killed"].append(process)
        self._save_state()

    def start(self, process: str) -> None:
        """Starts a stopped process again (no-op if it runs): a Patroni node (which starts
        its PostgreSQL), an etcd member (rejoins), an HAProxy path or an app instance."""
        kind, name = _split(process)
        if kind == "postgres":
            kind, process = "patroni", f"patroni:{name}"
        launched = self._launched(process)
        if launched is not None and is_ours(launched):
            self._forget_killed(process)
            return
        if kind == "patroni":
            self._start_patroni_node(self.spec.node(name).name)
        elif kind == "etcd":
            self._start_etcd_member(name, existing=True)
        elif kind == "haproxy":
            self._start_haproxy_instance(name)
        else:
            self._start_app_instance(name)

    def _forget_killed(self, process: str) -> None:
        state = self._require_state()
        for name in (process, process.replace("patroni:", "postgres:")):
            if name in state["killed"]:
                state["killed"].remove(name)
        self._save_state()

    def switchover(self, candidate: str | None = None) -> str:
        """Moves the leader role (POST /switchover); returns the new leader once it runs
        and the old one streams from it again."""
        old = self.leader()
        body: dict[str, str] = {"leader": old}
        if candidate:
            body["candidate"] = self.spec.node(candidate).name
        try:
            response = httpx.post(
                f"{self.rest_url(old)}/switchover",
                json=body,
                auth=(self.spec.rest_user, self.credentials.rest_password),
                timeout=60,
            )
        except httpx.HTTPError as exc:
            raise ClusterError(f"switchover request to {old} failed: {exc}") from exc
        if response.status_code != 200:
            sync = [m.name for m in parse_members(fetch_cluster(self.spec) or {}) if m.sync]
            raise ClusterError(
                f"Patroni refused the switchover ({response.status_code}): {response.text}"
                f" (in synchronous mode the candidate must be a sync standby: {sync})"
            )
        new: list[str] = []

        def settled() -> bool:
            members = {m.name: m for m in parse_members(fetch_cluster(self.spec) or {})}
            leaders = [m for m in members.values() if m.is_leader and m.state == "running"]
            if len(leaders) != 1 or leaders[0].name == old:
                return False
            if candidate and leaders[0].name != candidate:
                return False
            new[:] = [leaders[0].name]
            return old in members and members[old].state == "streaming"

        self._wait("switchover", settled, timeout=90, logs=[])
        return new[0]


def _split(process: str) -> tuple[str, str]:
    kind, _, name = process.partition(":")
    if kind not in PROCESS_KINDS or not name:
        raise ClusterError(
            f"unknown process {process!r}; use postgres:pg1, patroni:pg1, etcd:e1, "
            "haproxy:1 or app:1"
        )
    return kind, name


class _PortAllocator:
    """Hands out distinct free ports on 127.0.0.1, never a service's default port."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def next(self) -> int:
        while True:
            port = free_port("127.0.0.1")
            if port not in self.used and port not in DEFAULT_PORTS:
                self.used.add(port)
                return port


def _traversable(path: Path, user: OsUser) -> bool:
    """Returns True if `user` can reach `path` (every parent searchable for it)."""
    for parent in [*reversed(path.parents), path]:
        try:
            st = parent.stat()
        except OSError:
            return False
        if st.st_uid == user.uid:
            allowed = bool(st.st_mode & 0o100)
        elif st.st_gid in user.groups:
            allowed = bool(st.st_mode & 0o010)
        else:
            allowed = bool(st.st_mode & 0o001)
        if not allowed:
            return False
    return True


def _own_dir(path: Path, user: OsUser) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, user.uid, user.gid)
    os.chmod(path, 0o700)


def _write_file(path: Path, text: str, mode: int) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def _write_private(path: Path, text: str) -> None:
    _write_file(path, text, 0o600)
