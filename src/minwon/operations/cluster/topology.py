"""The two topologies: the local development cluster and a cluster on real hosts.

Both return a ``ClusterSpec``; only ports, paths and addresses differ. A ``Placement``
puts the local cluster's three database hosts in network namespaces of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minwon.operations.cluster.spec import (
    DEPLOY_USER,
    AppInstance,
    ClusterSpec,
    EtcdMember,
    HAProxyInstance,
    PatroniNode,
    StandbySource,
    Upstream,
)

SCOPE = "minwon"
LOCALHOST = "127.0.0.1"
HOSTS = 3


@dataclass(frozen=True)
class HostPlace:
    """One database host of a placed local cluster: its address and network namespace."""

    address: str
    netns: str


@dataclass(frozen=True)
class Placement:
    """Where a local cluster's parts run when each host has a network of its own
    (``network/hosts.py``): host `i` (etcd member ``e<i>``, node ``pg<i>`` and its
    guard) at ``hosts[i - 1]``; the HAProxy paths and app instances on the loopback of
    `app_tier`, a namespace that reaches every host over `subnet` (CIDR)."""

    hosts: tuple[HostPlace, ...]
    app_tier: str
    subnet: str


def _place(placement: Placement | None, number: int) -> HostPlace:
    if placement is None:
        return HostPlace(LOCALHOST, "")
    return placement.hosts[number - 1]


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
    placement: Placement | None = None,
    pgbackrest_bin: str = "/usr/bin/pgbackrest",
    shape: SiteShape | None = None,
) -> ClusterSpec:
    """Returns the local development cluster: 3 etcd, 3 nodes, 2 HAProxy, `apps` apps;
    with a `shape`, a standby site of that shape following its primary site.

    Every process listens on 127.0.0.1 at a port from `next_port`, or with a
    `placement` on its host's address in its host's namespace (the HAProxy paths and
    apps on the app tier's loopback). Data lives in `run_dir` (owned by the database
    user), configuration in `config_dir`.
    """
    if apps < 1:
        raise ValueError("at least one app instance is needed")
    if placement is not None and len(placement.hosts) != HOSTS:
        raise ValueError(f"a placement needs {HOSTS} hosts, not {len(placement.hosts)}")
    if placement is not None and shape is not None:
        raise ValueError("a standby site is not placed in network namespaces")
    counts = shape.counts if shape else (HOSTS, HOSTS, 2)
    apps = 1 if shape else apps  # a standby site runs one app instance
    app_tier = placement.app_tier if placement else ""
    etcd = tuple(
        EtcdMember(
            name=f"e{i}",
            host=_place(placement, i).address,
            client_port=next_port(),
            peer_port=next_port(),
            data_dir=f"{run_dir}/etcd/e{i}",
            env_file=f"{config_dir}/e{i}/etcd.env",
            netns=_place(placement, i).netns,
        )
        for i in range(1, counts[0] + 1)
    )
    nodes = tuple(
        PatroniNode(
            name=f"pg{i}",
            host=_place(placement, i).address,
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
            netns=_place(placement, i).netns,
            backup_config=f"{config_dir}/pg{i}/pgbackrest.conf",
        )
        for i in range(1, counts[1] + 1)
    )
    haproxies = tuple(
        HAProxyInstance(
            name=str(i),
            host=LOCALHOST,
            port=next_port(),
            stats_port=next_port(),
            config_file=f"{config_dir}/haproxy{i}/haproxy.cfg",
            app_port=next_port(),
            admin_socket=f"{run_dir}/haproxy{i}/admin.sock",
            netns=app_tier,
        )
        for i in range(1, counts[2] + 1)
    )
    app_instances = tuple(
        AppInstance(
            name=str(i),
            host=LOCALHOST,
            port=next_port(),
            env_file=f"{config_dir}/app{i}/app.env",
            netns=app_tier,
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
        hba_sources=(placement.subnet,) if placement else (f"{LOCALHOST}/32",),
        watchdog_mode="off",
        db_os_user=db_os_user,
        etcd_os_user=db_os_user,
        app_os_user="root",
        # One machine, one repository: every node's config names the same folder and
        # the same lock folder, so two backups never write it at once (``backup/``).
        backup_repo=f"{run_dir}/backup/repo",
        backup_lock_dir=f"{run_dir}/backup/lock",
        pgbackrest_bin=pgbackrest_bin,
        standby=shape.standby(next_port()) if shape else None,
    )


@dataclass(frozen=True)
class SiteShape:
    """A standby site on the same machine: its own etcd member, `nodes` database nodes
    (1 or 2), one HAProxy path with the link to the primary site, following `primary`
    (whose launcher folder is `primary_root`)."""

    primary: ClusterSpec
    primary_root: str
    nodes: int = 2

    def __post_init__(self) -> None:
        if self.nodes not in (1, 2):
            raise ValueError(f"a standby site has 1 or 2 database nodes, not {self.nodes}")

    @property
    def counts(self) -> tuple[int, int, int]:
        """Returns how many etcd members, database nodes and HAProxy paths it has."""
        return (1, self.nodes, 1)

    def standby(self, link_port: int) -> StandbySource:
        """Returns how the site follows the primary: through `link_port` to its nodes."""
        upstream = tuple(
            Upstream(n.name, n.host, n.pg_port, n.rest_port) for n in self.primary.nodes
        )
        return StandbySource(link_port, upstream, self.primary_root)


def hosts_spec(
    hosts: Sequence[str],
    *,
    pg_bindir: str = "/usr/lib/postgresql/15/bin",
    patroni_bin: str = "/opt/minwon/.venv/bin/patroni",
    minwon_bin: str = "/opt/minwon/.venv/bin/minwon",
    backup_repo: str = "/var/lib/pgbackrest",
) -> ClusterSpec:
    """Returns a spec for real hosts: one etcd, node, HAProxy and app on each host.

    Standard ports (etcd 2379/2380, PostgreSQL 5432, Patroni 8008, HAProxy 5000 with
    stats on 7000 and the apps on 80, app 8000) and Debian paths; each process listens
    on its host address.
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
                backup_config="/etc/pgbackrest/pgbackrest.conf",
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
                app_port=80,
                admin_socket="/run/haproxy/minwon-admin.sock",
                admin_group=DEPLOY_USER,
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
        # The repository every node shares: a file system mounted at the same path on
        # each host (NFS from the backup server), owned by the database user.
        backup_repo=backup_repo,
        backup_lock_dir="/tmp/pgbackrest",
    )
