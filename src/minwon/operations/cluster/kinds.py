"""One table of the process kinds a local cluster runs: how each starts, is ready, stops.

etcd, Patroni, HAProxy and the app are started by the launcher, in ``START_ORDER``, and
stopped in the reverse order. PostgreSQL is a kind of its own because a fault can kill
its postmaster, but Patroni starts and stops it: starting ``postgres:pg1`` means starting
``patroni:pg1``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from minwon.operations.cluster import render
from minwon.operations.cluster.faults import ProcessKind
from minwon.operations.cluster.guard import PROBE_TABLE
from minwon.operations.cluster.probes import (
    app_ready,
    as_superuser,
    etcd_healthy,
    fetch_cluster,
    path_ready,
    promoted,
    replication_ready,
)
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.status import parse_members
from minwon.operations.cluster.supervise import Launched, postmaster_pid, stop_many


@dataclass(frozen=True)
class KindContext:
    """What starting or checking a process needs: the spec, passwords, programs."""

    spec: ClusterSpec
    credentials: Credentials
    haproxy_bin: str
    python: str
    app_pythons: dict[str, str] = field(default_factory=dict)  # a release's builds
    root: str = ""  # the cluster's folder (state.json, logs), for the watcher

    def db_env(self, extra: dict[str, str]) -> dict[str, str]:
        """Returns a minimal environment for a database-side process, plus `extra`."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            **extra,
        }

    def app_env(self) -> dict[str, str]:
        """Returns the environment the app instances run with (holds the DB password)."""
        env = dict(os.environ)
        env.update(_env_file(self.spec.apps[0].env_file))
        env.pop("MINWON_KEYS_DIR", None)
        return env

    def minwon_argv(self, *args: str) -> list[str]:
        """Returns the command line of a ``minwon`` sub-command, run by this Python."""
        return [self.python, "-m", "minwon.cli.main", *args]


@dataclass(frozen=True)
class Command:
    """How to start one process: argv, folder, environment, as which user, and in which
    network namespace ("": the launcher's own)."""

    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    as_db_user: bool
    netns: str = ""


@dataclass(frozen=True)
class Readiness:
    """When every process of a kind counts as started, and how long that may take."""

    what: str
    timeout: float
    check: Callable[[KindContext], bool]


@dataclass(frozen=True)
class KindSpec:
    """One row of the table: names, start command, readiness and stop of a kind."""

    kind: ProcessKind
    step: str  # the name of its start (and ``stop_<step>``) in the launcher's timings
    names: Callable[[ClusterSpec], list[str]]
    command: Callable[[KindContext, str, bool], Command] | None  # (ctx, name, rejoin)
    readiness: Readiness | None
    stop: Callable[[ClusterSpec, list[Launched]], None] | None
    started_by: ProcessKind | None = None
    find_pid: Callable[[KindContext, str], int | None] | None = None


def _env_file(path: str) -> dict[str, str]:
    return render.parse_env(Path(path).read_text(encoding="utf-8"))


def _etcd_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    member = ctx.spec.etcd_member(name)
    env = _env_file(member.env_file)
    if rejoin:
        env["ETCD_INITIAL_CLUSTER_STATE"] = "existing"
    cwd = Path(member.data_dir).parent
    return Command((ctx.spec.etcd_bin,), cwd, ctx.db_env(env), True, member.netns)


def _patroni_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    node = ctx.spec.node(name)
    env = ctx.db_env({"HOME": node.node_dir, **_env_file(node.env_file)})
    argv = (ctx.spec.patroni_bin, node.config_file)
    return Command(argv, Path(node.node_dir), env, True, node.netns)


def _haproxy_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    proxy = ctx.spec.haproxy(name)
    argv = (ctx.haproxy_bin, "-db", "-f", proxy.config_file)
    return Command(argv, Path(proxy.config_file).parent, ctx.db_env({}), True, proxy.netns)


def _app_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    app = ctx.spec.app(name)
    python = ctx.app_pythons.get(name, ctx.python)  # the build a release put there
    argv = [python, "-m", "minwon.cli.main", "serve", "--host", app.host, "--port", str(app.port)]
    return Command(tuple(argv), Path(ctx.spec.app_data_dir), ctx.app_env(), False, app.netns)


def _guard_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    node = ctx.spec.node(name)
    argv = ctx.minwon_argv(
        "cluster",
        "guard",
        "--host",
        node.host,
        "--port",
        str(node.pg_port),
        "--data-dir",
        node.data_dir,
        "--rest-url",
        node.rest_url,
        "--user",
        ctx.spec.superuser,
    )
    # The superuser's password comes from the node's Patroni env file, as Patroni's does.
    env = {**ctx.app_env(), **_env_file(node.env_file)}
    return Command(tuple(argv), Path(node.node_dir), env, False, node.netns)


WATCHER = "incidents"  # the one watcher's name: ``watch:incidents``
WATCH_BEAT = "watch.beat"  # touched by the watcher every round (operations/incidents/watch)


def _watch_command(ctx: KindContext, name: str, rejoin: bool) -> Command:
    # On the first app host, as the plan's minwon-watch.service: in namespace mode the
    # launcher's own network reaches none of the hosts.
    argv = ctx.minwon_argv("ops", "watch", "--root", ctx.root)
    netns = ctx.spec.apps[0].netns if ctx.spec.apps else ""
    return Command(tuple(argv), Path(ctx.root), ctx.app_env(), False, netns)


def _watcher_ready(ctx: KindContext) -> bool:
    """Returns True once the watcher has made a round in the last 2 s."""
    try:
        return time.time() - (Path(ctx.root) / WATCH_BEAT).stat().st_mtime < 2.0
    except OSError:
        return False


def _guards_ready(ctx: KindContext) -> bool:
    """Returns True once the leader's guard has committed its probe row in the last 2 s."""
    leader = next(
        (m.name for m in parse_members(fetch_cluster(ctx.spec) or {}) if m.is_leader), None
    )
    if leader is None:
        return False
    node = ctx.spec.node(leader)
    try:
        with as_superuser(ctx.spec, ctx.credentials, node, connect_timeout=1) as conn:
            row = conn.execute(
                f"SELECT now() - at < interval '2 seconds' FROM {PROBE_TABLE} WHERE id = 1"
            ).fetchone()
            return bool(row and row[0])
    except psycopg.Error:
        return False


def _apps_ready(ctx: KindContext) -> bool:
    # A standby site's apps have no writable database until the promotion: they only
    # have to answer, so that the promotion's first request finds them running.
    standby = ctx.spec.standby is not None and not promoted(ctx.spec)
    path = "/healthz" if standby else "/readyz"
    return all(app_ready(a.url, path=path) for a in ctx.spec.apps)


def _stop_together(timeout: float) -> Callable[[ClusterSpec, list[Launched]], None]:
    def stop(_: ClusterSpec, launched: list[Launched]) -> None:
        stop_many(launched, timeout=timeout)

    return stop


def _stop_etcd(_: ClusterSpec, members: list[Launched]) -> None:
    # One by one: a leaving leader hands over to a live member at once, and the last
    # one has no quorum left to hand over. Stopped together, the leader waited 7 s
    # for a transfer to a member that was itself stopping.
    for member in members:
        stop_many([member], timeout=10)


def _stop_patroni(spec: ClusterSpec, nodes: list[Launched]) -> None:
    # All at once: a Patroni that received SIGTERM leaves its HA loop, so no replica
    # promotes itself while the leader stops; one at a time costs ~2 s per node.
    stop_many(nodes, timeout=30)
    # A postmaster outlives a SIGKILLed Patroni; stop it by the PID in its data dir.
    for node in spec.nodes:
        pid = postmaster_pid(Path(node.data_dir))
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 15
        while postmaster_pid(Path(node.data_dir)) == pid:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)


def _postmaster(ctx: KindContext, name: str) -> int | None:
    return postmaster_pid(Path(ctx.spec.node(name).data_dir))


KINDS: dict[ProcessKind, KindSpec] = {
    ProcessKind.ETCD: KindSpec(
        ProcessKind.ETCD,
        "etcd",
        names=lambda spec: [m.name for m in spec.etcd],
        command=_etcd_command,
        readiness=Readiness("etcd", 30, lambda ctx: all(etcd_healthy(m) for m in ctx.spec.etcd)),
        stop=_stop_etcd,
    ),
    ProcessKind.PATRONI: KindSpec(
        ProcessKind.PATRONI,
        "patroni",
        names=lambda spec: spec.member_names,
        command=_patroni_command,
        readiness=Readiness(
            "Patroni (1 leader, streaming replicas, 1 sync; a standby site: its leader "
            "streaming from the primary site)",
            180,
            lambda ctx: replication_ready(ctx.spec),
        ),
        stop=_stop_patroni,
    ),
    ProcessKind.POSTGRES: KindSpec(
        ProcessKind.POSTGRES,
        "postgres",
        names=lambda spec: spec.member_names,
        command=None,
        readiness=None,
        stop=None,
        started_by=ProcessKind.PATRONI,
        find_pid=_postmaster,
    ),
    ProcessKind.GUARD: KindSpec(
        ProcessKind.GUARD,
        "guards",
        names=lambda spec: spec.member_names,
        command=_guard_command,
        readiness=Readiness("the leader's guard (its probe row committed)", 30, _guards_ready),
        stop=_stop_together(5),
    ),
    ProcessKind.HAPROXY: KindSpec(
        ProcessKind.HAPROXY,
        "haproxy",
        names=lambda spec: [p.name for p in spec.haproxies],
        command=_haproxy_command,
        readiness=Readiness(
            "HAProxy paths to the primary",
            30,
            lambda ctx: all(path_ready(ctx.spec, p, ctx.credentials) for p in ctx.spec.haproxies),
        ),
        stop=_stop_together(5),
    ),
    ProcessKind.APP: KindSpec(
        ProcessKind.APP,
        "apps",
        names=lambda spec: [a.name for a in spec.apps],
        command=_app_command,
        readiness=Readiness(
            "app instances (GET /readyz; a standby site's: /healthz)",
            60,
            _apps_ready,
        ),
        stop=_stop_together(10),
    ),
    ProcessKind.WATCH: KindSpec(
        ProcessKind.WATCH,
        "watch",
        names=lambda spec: [WATCHER],
        command=_watch_command,
        readiness=Readiness("the incident watcher (its first round)", 30, _watcher_ready),
        stop=_stop_together(10),  # SIGTERM: it stores what it has before it ends
    ),
}

# etcd first (Patroni keeps its lease there), the apps next to last (they need a
# primary), the incident watcher last: it records faults of a cluster that was whole.
START_ORDER = (
    ProcessKind.ETCD,
    ProcessKind.PATRONI,
    ProcessKind.GUARD,
    ProcessKind.HAPROXY,
    ProcessKind.APP,
    ProcessKind.WATCH,
)
STOP_ORDER = tuple(reversed(START_ORDER))
# A standby site's HAProxy carries the link its leader's first copy comes over: before it.
# Its own watcher records the primary site's loss (whose watcher is lost with it).
STANDBY_START_ORDER = (
    ProcessKind.ETCD,
    ProcessKind.HAPROXY,
    ProcessKind.PATRONI,
    ProcessKind.GUARD,
    ProcessKind.APP,
    ProcessKind.WATCH,
)
