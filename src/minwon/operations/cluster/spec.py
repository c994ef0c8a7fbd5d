"""The cluster's topology, ports, paths and tuned settings, as plain values.

One ``ClusterSpec`` describes either the local development cluster (everything on
127.0.0.1, free ports, folders under one root) or real hosts (standard ports and Debian
paths). The templates in ``templates/`` render either one the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import quote

SCOPE = "minwon"
LOCALHOST = "127.0.0.1"

# Patroni's own defaults and HAProxy's stock check timing, for the benchmark table.
PATRONI_DEFAULTS: dict[str, int | bool | str] = {
    "ttl": 30,
    "loop_wait": 10,
    "retry_timeout": 10,
    "primary_start_timeout": 300,
    "synchronous_mode": False,
    "failsafe_mode": False,
    "haproxy_inter": "2s",
    "haproxy_fastinter": "2s",
    "haproxy_downinter": "2s",
    "haproxy_fall": 3,
    "haproxy_rise": 2,
}

# What Minwon runs with (why: see ``dcs_settings`` and ``HAPROXY_DEFAULT_SERVER``).
MINWON_TUNED: dict[str, int | bool | str] = {
    "ttl": 20,
    "loop_wait": 1,
    "retry_timeout": 5,
    "primary_start_timeout": 0,
    "synchronous_mode": True,
    "failsafe_mode": True,
    "haproxy_inter": "1s",
    "haproxy_fastinter": "500ms",
    # A standby is "down" in HAProxy until promoted: checking it twice a second finds the
    # new primary within 0.5 s of its promotion.
    "haproxy_downinter": "500ms",
    "haproxy_fall": 2,
    "haproxy_rise": 1,
}

# Stock timing (inter 2-3 s, fall 3) added 4-6 s to every failover here; these add ~0.2 s,
# the same as a libpq multi-host string. `shutdown-sessions` cuts clients still attached
# to a demoted primary so that their pools reconnect to the new one at once.
HAPROXY_DEFAULT_SERVER = (
    f"inter {MINWON_TUNED['haproxy_inter']} fastinter {MINWON_TUNED['haproxy_fastinter']} "
    f"downinter {MINWON_TUNED['haproxy_downinter']} "
    f"fall {MINWON_TUNED['haproxy_fall']} rise {MINWON_TUNED['haproxy_rise']} "
    "on-marked-down shutdown-sessions"
)
# Pooled application connections sit idle between requests: a short client/server timeout
# would cut them and turn into errors on the next request.
HAPROXY_IDLE_TIMEOUT = "30m"

# Patroni's REST API reports lag in bytes; above this a standby is not "healthy".
MAX_HEALTHY_LAG_BYTES = 16 * 1024 * 1024


def dcs_settings() -> dict[str, Any]:
    """Returns the cluster-wide settings Patroni stores in etcd at bootstrap."""
    tuned = MINWON_TUNED
    return {
        # Patroni rejects ttl < 20 s. The leader lease, not routing, bounds failover after a
        # host dies: measured 19.7-20.4 s to new acknowledged writes at ttl 20.
        "ttl": tuned["ttl"],
        # One HA loop per second: a crashed postmaster or a lost sync standby is noticed
        # within ~1 s and a switchover finishes in a few loops. Three members cost etcd
        # nothing at this rate. (Measured failover time did not differ between 1 and 2.)
        "loop_wait": tuned["loop_wait"],
        # loop_wait + 2 * retry_timeout = 11 <= ttl 20, as Patroni requires: a leader that
        # cannot reach etcd gives up and demotes before its lease could expire under it.
        "retry_timeout": tuned["retry_timeout"],
        # With strict synchronous mode the sync standby has every acknowledged commit; this
        # only keeps a badly lagging async standby from being promoted.
        "maximum_lag_on_failover": 1024 * 1024,
        # A crashed primary is failed over at once (to the sync standby, which holds every
        # acknowledged commit) instead of waiting up to 300 s for it to restart in place.
        "primary_start_timeout": tuned["primary_start_timeout"],
        # Strict: a commit is acknowledged only after a standby has it, so losing the
        # primary loses no acknowledged issuance. Non-strict acknowledged thousands of
        # writes no standby held. With 3 nodes writes go on when any one node dies (with
        # 2 they would stop); "quorum" mode would also skip the ~1 loop of stalled commits
        # while Patroni moves the sync role off a dead standby, but it is newer in Patroni
        # and reports roles differently; one named sync standby is simpler to observe.
        "synchronous_mode": tuned["synchronous_mode"],
        "synchronous_mode_strict": True,
        "synchronous_node_count": 1,
        # If etcd loses quorum, a primary that still sees every member keeps serving
        # instead of demoting itself (F7); no member can be promoted without etcd.
        "failsafe_mode": tuned["failsafe_mode"],
        "postgresql": {
            "use_pg_rewind": True,  # an old primary rejoins as standby without a re-clone
            "use_slots": True,
            "parameters": {
                "wal_level": "replica",
                "hot_standby": "on",
                "wal_log_hints": "on",  # pg_rewind needs it (no data checksums required)
                "max_wal_senders": 10,
                "max_replication_slots": 10,
                "synchronous_commit": "on",
                "wal_keep_size": "256MB",
                "max_connections": 200,
                "password_encryption": "scram-sha-256",
            },
        },
    }


@dataclass(frozen=True)
class Credentials:
    """The cluster's passwords: generated at ``up``, or ``${...}`` placeholders in a plan."""

    superuser_password: str
    replication_password: str
    app_password: str
    rest_password: str

    @classmethod
    def generate(cls) -> Credentials:
        """Returns fresh random passwords (URL-safe, no quoting needed anywhere)."""
        return cls(*(secrets.token_urlsafe(24) for _ in range(4)))

    @classmethod
    def placeholders(cls) -> Credentials:
        """Returns ``${VAR}`` placeholders, filled in on the host from a secret store."""
        return cls(
            superuser_password="${PATRONI_SUPERUSER_PASSWORD}",
            replication_password="${PATRONI_REPLICATION_PASSWORD}",
            app_password="${MINWON_DB_PASSWORD}",
            rest_password="${PATRONI_RESTAPI_PASSWORD}",
        )

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Credentials:
        return cls(**{f.name: str(data[f.name]) for f in fields(cls)})


@dataclass(frozen=True)
class EtcdMember:
    """One etcd member: the consensus store Patroni keeps its leader lease in."""

    name: str
    host: str
    client_port: int
    peer_port: int
    data_dir: str
    env_file: str

    @property
    def client_url(self) -> str:
        return f"http://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://{self.host}:{self.peer_port}"


@dataclass(frozen=True)
class PatroniNode:
    """One PostgreSQL server and the Patroni daemon that manages it."""

    name: str
    host: str
    pg_port: int
    rest_port: int
    node_dir: str
    data_dir: str
    socket_dir: str
    config_file: str
    env_file: str
    post_bootstrap: str
    pgpass: str

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.rest_port}"


@dataclass(frozen=True)
class HAProxyInstance:
    """One load-balancer path: sends connections to whichever node is the primary."""

    name: str
    host: str
    port: int
    stats_port: int
    config_file: str


@dataclass(frozen=True)
class AppInstance:
    """One stateless Minwon web process."""

    name: str
    host: str
    port: int
    env_file: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class ClusterSpec:
    """Everything needed to render, launch or check one cluster."""

    scope: str
    namespace: str
    etcd: tuple[EtcdMember, ...]
    nodes: tuple[PatroniNode, ...]
    haproxies: tuple[HAProxyInstance, ...]
    apps: tuple[AppInstance, ...]
    pg_bindir: str
    patroni_bin: str
    etcd_bin: str
    minwon_bin: str
    app_data_dir: str
    hba_sources: tuple[str, ...]
    watchdog_mode: str = "off"
    db_os_user: str = "postgres"
    etcd_os_user: str = "etcd"
    app_os_user: str = "minwon"
    superuser: str = "postgres"
    replication_user: str = "replicator"
    rest_user: str = "patroni"
    app_user: str = "minwon"
    app_database: str = "minwon"

    # -- lookups ----------------------------------------------------------------------

    def node(self, name: str) -> PatroniNode:
        """Returns the node called `name` (pg1...); KeyError if there is none."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no cluster member {name!r} (members: {self.member_names})")

    def etcd_member(self, name: str) -> EtcdMember:
        for member in self.etcd:
            if member.name == name:
                return member
        raise KeyError(f"no etcd member {name!r}")

    def haproxy(self, name: str) -> HAProxyInstance:
        for proxy in self.haproxies:
            if proxy.name == name:
                return proxy
        raise KeyError(f"no haproxy {name!r}")

    def app(self, name: str) -> AppInstance:
        for app in self.apps:
            if app.name == name:
                return app
        raise KeyError(f"no app instance {name!r}")

    @property
    def member_names(self) -> list[str]:
        return [node.name for node in self.nodes]

    @property
    def etcd_hosts(self) -> str:
        """Returns ``host:port,...`` of every etcd client endpoint (Patroni's ``etcd3``)."""
        return ",".join(f"{m.host}:{m.client_port}" for m in self.etcd)

    @property
    def initial_cluster(self) -> str:
        """Returns etcd's ``--initial-cluster`` value: ``e1=http://host:peer,...``."""
        return ",".join(f"{m.name}={m.peer_url}" for m in self.etcd)

    # -- URLs -------------------------------------------------------------------------

    def database_url(self, password: str) -> str:
        """Returns the app's SQLAlchemy URL over every HAProxy path, writable node only.

        psycopg (libpq) tries the hosts in order and keeps the first that accepts a
        read-write session, so one dead load-balancer path costs one connect attempt.
        """
        hosts = "&".join(f"host={p.host}:{p.port}" for p in self.haproxies)
        return (
            f"postgresql+psycopg://{self.app_user}:{_quote(password)}@/{self.app_database}"
            f"?{hosts}&target_session_attrs=read-write"
        )

    def member_url(self, member: str, password: str) -> str:
        """Returns a SQLAlchemy URL straight to one node's PostgreSQL, as the app user."""
        node = self.node(member)
        return (
            f"postgresql+psycopg://{self.app_user}:{_quote(password)}@"
            f"{node.host}:{node.pg_port}/{self.app_database}"
        )

    # -- persistence ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterSpec:
        """Rebuilds a spec saved with ``to_dict`` (``state.json``)."""
        values = dict(data)
        values["etcd"] = tuple(EtcdMember(**m) for m in data["etcd"])
        values["nodes"] = tuple(PatroniNode(**n) for n in data["nodes"])
        values["haproxies"] = tuple(HAProxyInstance(**h) for h in data["haproxies"])
        values["apps"] = tuple(AppInstance(**a) for a in data["apps"])
        values["hba_sources"] = tuple(data["hba_sources"])
        return cls(**values)


def _quote(password: str) -> str:
    # `${NAME}` placeholders stay readable for the operator who fills them in.
    return quote(password, safe="${}")


def local_spec(
    *,
    run_dir: str,
    config_dir: str,
    app_data_dir: str,
    apps: int,
    next_port: Callable[[], int],
    pg_bindir: str,
    patroni_bin: str,
    etcd_bin: str,
    minwon_bin: str,
    db_os_user: str,
) -> ClusterSpec:
    """Returns the local development cluster: 3 etcd, 3 nodes, 2 HAProxy, `apps` apps.

    Every process listens on 127.0.0.1 at a port from `next_port`. Data lives in
    `run_dir` (owned by the database user), configuration in `config_dir`.
    """
    if apps < 1:
        raise ValueError("at least one app instance is needed")
    etcd = tuple(
        EtcdMember(
            name=f"e{i}",
            host=LOCALHOST,
            client_port=next_port(),
            peer_port=next_port(),
            data_dir=f"{run_dir}/etcd/e{i}",
            env_file=f"{config_dir}/e{i}/etcd.env",
        )
        for i in (1, 2, 3)
    )
    nodes = tuple(
        PatroniNode(
            name=f"pg{i}",
            host=LOCALHOST,
            pg_port=next_port(),
            rest_port=next_port(),
            node_dir=f"{run_dir}/pg{i}",
            data_dir=f"{run_dir}/pg{i}/data",
            # Beside, not inside, the data directory: pg_basebackup and pg_rewind copy the
            # data directory and have no business with a socket file.
            socket_dir=f"{run_dir}/pg{i}",
            config_file=f"{config_dir}/pg{i}/patroni.yml",
            env_file=f"{config_dir}/pg{i}/patroni.env",
            post_bootstrap=f"{config_dir}/pg{i}/post_bootstrap.sh",
            pgpass=f"{run_dir}/pg{i}/pgpass",
        )
        for i in (1, 2, 3)
    )
    haproxies = tuple(
        HAProxyInstance(
            name=str(i),
            host=LOCALHOST,
            port=next_port(),
            stats_port=next_port(),
            config_file=f"{config_dir}/haproxy{i}/haproxy.cfg",
        )
        for i in (1, 2)
    )
    app_instances = tuple(
        AppInstance(
            name=str(i),
            host=LOCALHOST,
            port=next_port(),
            env_file=f"{config_dir}/app{i}/app.env",
        )
        for i in range(1, apps + 1)
    )
    return ClusterSpec(
        scope=SCOPE,
        namespace="/minwon/",
        etcd=etcd,
        nodes=nodes,
        haproxies=haproxies,
        apps=app_instances,
        pg_bindir=pg_bindir,
        patroni_bin=patroni_bin,
        etcd_bin=etcd_bin,
        minwon_bin=minwon_bin,
        app_data_dir=app_data_dir,
        hba_sources=(f"{LOCALHOST}/32",),
        watchdog_mode="off",
        db_os_user=db_os_user,
        etcd_os_user=db_os_user,
        app_os_user="root",
    )


def hosts_spec(
    hosts: Sequence[str],
    *,
    pg_bindir: str = "/usr/lib/postgresql/15/bin",
    patroni_bin: str = "/opt/minwon/.venv/bin/patroni",
    minwon_bin: str = "/opt/minwon/.venv/bin/minwon",
) -> ClusterSpec:
    """Returns a spec for real hosts: one etcd, node, HAProxy and app on each host.

    Standard ports (etcd 2379/2380, PostgreSQL 5432, Patroni 8008, HAProxy 5000 with
    stats on 7000, app 8000) and Debian paths; each process listens on its host address.
    """
    if len(hosts) < 3:
        raise ValueError("a cluster needs at least 3 hosts (etcd quorum, sync standby)")
    if len(set(hosts)) != len(hosts):
        raise ValueError("hosts must be distinct")
    numbered = list(enumerate(hosts, start=1))
    return ClusterSpec(
        scope=SCOPE,
        namespace="/minwon/",
        etcd=tuple(
            EtcdMember(
                name=f"e{i}",
                host=h,
                client_port=2379,
                peer_port=2380,
                data_dir="/var/lib/etcd/minwon",
                env_file="/etc/minwon/etcd.env",
            )
            for i, h in numbered
        ),
        nodes=tuple(
            PatroniNode(
                name=f"pg{i}",
                host=h,
                pg_port=5432,
                rest_port=8008,
                node_dir="/var/lib/postgresql/15",
                data_dir="/var/lib/postgresql/15/main",
                socket_dir="/var/run/postgresql",
                config_file="/etc/patroni/patroni.yml",
                env_file="/etc/patroni/patroni.env",
                post_bootstrap="/etc/patroni/post_bootstrap.sh",
                pgpass="/var/lib/postgresql/.pgpass_patroni",
            )
            for i, h in numbered
        ),
        haproxies=tuple(
            HAProxyInstance(
                name=str(i),
                host=h,
                port=5000,
                stats_port=7000,
                config_file="/etc/haproxy/haproxy.cfg",
            )
            for i, h in numbered
        ),
        apps=tuple(
            AppInstance(name=str(i), host=h, port=8000, env_file="/etc/minwon/app.env")
            for i, h in numbered
        ),
        pg_bindir=pg_bindir,
        patroni_bin=patroni_bin,
        etcd_bin="/usr/bin/etcd",
        minwon_bin=minwon_bin,
        app_data_dir="/var/lib/minwon",
        hba_sources=tuple(f"{h}/32" for h in hosts),
        watchdog_mode="automatic",
    )
