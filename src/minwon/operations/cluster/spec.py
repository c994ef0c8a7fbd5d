"""The cluster's topology as plain values: members, ports, paths, users, passwords.

One ``ClusterSpec`` describes either the local development cluster or real hosts
(``topology.py`` builds both); a local cluster may place each host's processes in a
network namespace of its own (``netns``, ``network/hosts.py``), which real hosts never
need. The templates in ``templates/`` render either one the same way. The settings
Patroni runs with are in ``tuning.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import quote

# The account `minwon release` logs in as on real hosts (SSH keys; sudo only for the
# app's own commands, see the plan's sudoers file).
DEPLOY_USER = "minwon-deploy"


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
        """Returns the passwords as a dict (``secrets.json``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Credentials:
        """Returns the passwords saved with ``to_dict``."""
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
    netns: str = ""  # the network namespace it runs in ("": the launcher's own)

    @property
    def client_url(self) -> str:
        """Returns the URL clients (Patroni, health checks) use."""
        return f"http://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        """Returns the URL the other etcd members use."""
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
    netns: str = ""  # its host's network namespace, shared with its guard ("": none)
    # Its pgbackrest.conf ("": a cluster saved before backups existed, none).
    backup_config: str = ""

    @property
    def backup_spool(self) -> str:
        """Returns the node's pgBackRest spool (the asynchronous archive-push queue)."""
        return f"{self.node_dir}/pgbackrest/spool"

    @property
    def backup_log(self) -> str:
        """Returns the folder of the node's pgBackRest log files."""
        return f"{self.node_dir}/pgbackrest/log"

    @property
    def rest_url(self) -> str:
        """Returns the base URL of the node's Patroni REST API."""
        return f"http://{self.host}:{self.rest_port}"


@dataclass(frozen=True)
class HAProxyInstance:
    """One load-balancer path: database connections to whichever node is the primary
    (`port`), and HTTP to every app instance (`app_port`), with a runtime API on
    `admin_socket` (draining an instance for a release)."""

    name: str
    host: str
    port: int
    stats_port: int
    config_file: str
    app_port: int = 0  # 0: a cluster saved before the app balancer existed
    admin_socket: str = ""
    netns: str = ""
    # On real hosts the deploy account's group may use the admin socket (``socat`` over
    # SSH during a release); locally only the database user may.
    admin_group: str = ""

    @property
    def app_url(self) -> str:
        """Returns the base URL of the app instances through this path."""
        return f"http://{self.host}:{self.app_port}"


@dataclass(frozen=True)
class AppInstance:
    """One stateless Minwon web process."""

    name: str
    host: str
    port: int
    env_file: str
    netns: str = ""

    @property
    def url(self) -> str:
        """Returns the instance's base URL."""
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Upstream:
    """One database node of the primary site, as a standby site's link reaches it."""

    name: str
    host: str
    pg_port: int
    rest_port: int


@dataclass(frozen=True)
class StandbySource:
    """How a standby site (the second site, ``operations/dr``) follows the primary site.

    Its leader streams through the site's link (`link_port` on its own HAProxy, which
    forwards to whichever `upstream` node answers Patroni's ``GET /primary``), and
    fetches from its own repository what it cannot stream. Cutting the link is turning
    that one listener's servers away; promoting the site is removing ``standby_cluster``
    from its Patroni configuration.
    """

    link_port: int
    upstream: tuple[Upstream, ...]
    primary_root: str  # the primary site's launcher folder (``minwon dr`` reads it)


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
    # pgBackRest: the repository every node archives to and backs up into, and the lock
    # folder of the commands that write it ("": no backups, a cluster saved before them).
    backup_repo: str = ""
    backup_lock_dir: str = ""
    pgbackrest_bin: str = "/usr/bin/pgbackrest"
    # The second site's repository, which the primary site also archives to and backs up
    # into (pgBackRest's repo2); "": no second site.
    second_repo: str = ""
    # Set on a standby site: it follows the primary site through its link.
    standby: StandbySource | None = None

    @property
    def is_standby_site(self) -> bool:
        """Returns True for a standby site (not yet promoted by ``minwon dr promote``)."""
        return self.standby is not None

    # -- lookups ----------------------------------------------------------------------

    def node(self, name: str) -> PatroniNode:
        """Returns the node called `name` (pg1...); KeyError if there is none."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no cluster member {name!r} (members: {self.member_names})")

    def etcd_member(self, name: str) -> EtcdMember:
        """Returns the etcd member called `name` (e1...); KeyError if there is none."""
        for member in self.etcd:
            if member.name == name:
                return member
        raise KeyError(f"no etcd member {name!r}")

    def haproxy(self, name: str) -> HAProxyInstance:
        """Returns the HAProxy path called `name` (1, 2); KeyError if there is none."""
        for proxy in self.haproxies:
            if proxy.name == name:
                return proxy
        raise KeyError(f"no haproxy {name!r}")

    def app(self, name: str) -> AppInstance:
        """Returns the app instance called `name` (1, 2...); KeyError if there is none."""
        for app in self.apps:
            if app.name == name:
                return app
        raise KeyError(f"no app instance {name!r}")

    @property
    def member_names(self) -> list[str]:
        """Returns the names of the PostgreSQL members, in order."""
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

    def socket_database_url(self, password: str) -> str:
        """Returns the app's URL over every node's Unix socket, writable node only: for an
        app in another network namespace on the same host (sockets are files, not
        network addresses)."""
        hosts = "&".join(f"host={n.socket_dir}:{n.pg_port}" for n in self.nodes)
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
        """Returns the spec as JSON-ready values (``state.json``)."""
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
        standby = data.get("standby")
        if standby is not None:
            values["standby"] = StandbySource(
                link_port=int(standby["link_port"]),
                upstream=tuple(Upstream(**u) for u in standby["upstream"]),
                primary_root=str(standby["primary_root"]),
            )
        return cls(**values)


def _quote(password: str) -> str:
    # `${NAME}` placeholders stay readable for the operator who fills them in.
    return quote(password, safe="${}")
