"""Spec → configuration files, from the one set of templates in ``templates/``.

The local launcher and ``minwon cluster plan`` call the same functions; only the spec and
the credentials (generated, or ``${...}`` placeholders) differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from minwon.operations.backup import config as backup_config
from minwon.operations.backup import units as backup_units
from minwon.operations.cluster.spec import (
    DEPLOY_USER,
    AppInstance,
    ClusterSpec,
    Credentials,
    EtcdMember,
    HAProxyInstance,
    PatroniNode,
)
from minwon.operations.cluster.tuning import (
    APP_BALANCER_DEFAULT_SERVER,
    APP_BALANCER_SERVER_TIMEOUT,
    HAPROXY_DEFAULT_SERVER,
    HAPROXY_IDLE_TIMEOUT,
    MINWON_TUNED,
    PATH_CHECK_BYTES,
    PATH_CHECK_END,
    dcs_settings,
    path_check_body,
)
from minwon.operations.release.fleet_plan import CURRENT, RELEASES, UNIT

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedFile:
    """One file to write: where it belongs on its host, its text and its mode."""

    path: str
    text: str
    mode: int = 0o644


def _to_yaml(value: Any, indent: int = 0) -> str:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in text.rstrip("\n").splitlines())


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # configuration files, not HTML
    )
    env.filters["to_yaml"] = _to_yaml
    return env


_ENV = _environment()


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def patroni_yml(spec: ClusterSpec, node: PatroniNode) -> RenderedFile:
    """Returns the node's ``patroni.yml`` (no passwords: those come from its env file);
    with a backup repository, PostgreSQL archives its WAL there and a standby restores
    what it cannot stream from there."""
    archive = restore = ""
    if spec.backup_repo and node.backup_config:
        archive = backup_config.archive_command(spec.pgbackrest_bin, node.backup_config)
        restore = backup_config.restore_command(spec.pgbackrest_bin, node.backup_config)
    text = _render(
        "patroni.yml.j2",
        spec=spec,
        node=node,
        dcs=site_dcs_settings(spec, restore),
        archive_command=archive,
        restore_command=restore,
    )
    return RenderedFile(node.config_file, text)


def site_dcs_settings(spec: ClusterSpec, restore_command: str) -> dict[str, Any]:
    """Returns the settings Patroni stores at bootstrap; a standby site's also say what
    it follows (``standby_cluster``: its link, and its own repository for the WAL it
    cannot stream) and how it replicates once promoted."""
    dcs = dcs_settings()
    if spec.standby is None:
        return dcs
    follow: dict[str, Any] = {
        "host": spec.haproxies[0].host,
        "port": spec.standby.link_port,
        # The first copy comes over the link; the standby leader then streams from it.
        "create_replica_methods": ["basebackup"],
    }
    if restore_command:
        follow["restore_command"] = restore_command
    dcs["standby_cluster"] = follow
    # Promoted after a disaster, a site of one or two nodes keeps writing when a node of
    # its own dies (non-strict): strict synchronous mode with two nodes stops all writes
    # until the dead one returns, and with one node there is no standby to wait for.
    dcs["synchronous_mode_strict"] = False
    if len(spec.nodes) == 1:
        dcs["synchronous_mode"] = False
    return dcs


def node_backup_config(spec: ClusterSpec, node: PatroniNode) -> backup_config.NodeBackupConfig:
    """Returns what the node's ``pgbackrest.conf`` says (the shared repository, the
    node's spool and log, its PostgreSQL over the Unix socket as the superuser)."""
    return backup_config.NodeBackupConfig(
        path=node.backup_config,
        repo_path=spec.backup_repo,
        second_repo_path=spec.second_repo,
        lock_path=spec.backup_lock_dir,
        spool_path=node.backup_spool,
        log_path=node.backup_log,
        pg_path=node.data_dir,
        pg_port=node.pg_port,
        pg_socket_path=node.socket_dir,
        pg_user=spec.superuser,
    )


def pgbackrest_conf(spec: ClusterSpec, node: PatroniNode) -> RenderedFile:
    """Returns the node's ``pgbackrest.conf`` (no secrets: peer authentication)."""
    return RenderedFile(
        node.backup_config, backup_config.render_conf(node_backup_config(spec, node))
    )


def patroni_env(spec: ClusterSpec, node: PatroniNode, credentials: Credentials) -> RenderedFile:
    """Returns the node's secrets as ``KEY=value`` lines (systemd ``EnvironmentFile``)."""
    text = _render("patroni.env.j2", spec=spec, node=node, credentials=credentials)
    return RenderedFile(node.env_file, text, 0o600)


def post_bootstrap(spec: ClusterSpec, node: PatroniNode) -> RenderedFile:
    """Returns the script that creates the app role and database after bootstrap, and
    the backup repository's stanza."""
    stanza_create = ""
    if spec.backup_repo and node.backup_config:
        argv = backup_config.command(spec.pgbackrest_bin, node.backup_config, "stanza-create")
        stanza_create = " ".join(argv)
    text = _render("post_bootstrap.sh.j2", spec=spec, stanza_create=stanza_create)
    return RenderedFile(node.post_bootstrap, text, 0o755)


def backup_timers(spec: ClusterSpec, node: PatroniNode) -> list[RenderedFile]:
    """Returns the systemd services and timers of the node's full and differential
    backups (each skipped unless the node is the primary at the time)."""
    files = []
    for kind in ("full", "diff"):
        job = backup_units.BackupJob(
            kind=kind,
            os_user=spec.db_os_user,
            pgbackrest=spec.pgbackrest_bin,
            config=node.backup_config,
            psql=f"{spec.pg_bindir}/psql",
            socket_dir=node.socket_dir,
            port=node.pg_port,
            superuser=spec.superuser,
        )
        where = f"/etc/systemd/system/{job.unit}"
        files += [
            RenderedFile(f"{where}.service", backup_units.service_unit(job)),
            RenderedFile(f"{where}.timer", backup_units.timer_unit(job)),
        ]
    return files


def etcd_env(spec: ClusterSpec, member: EtcdMember) -> RenderedFile:
    """Returns the member's ``ETCD_*`` settings for a new cluster."""
    return RenderedFile(member.env_file, _render("etcd.env.j2", spec=spec, member=member))


# The app balancer's check and timeouts (``tuning.py`` says why).
_APPS = {
    "check_bytes": PATH_CHECK_BYTES,
    "check_body": path_check_body(),
    "check_end": PATH_CHECK_END,
    "default_server": APP_BALANCER_DEFAULT_SERVER,
    "server_timeout": APP_BALANCER_SERVER_TIMEOUT,
}


@dataclass(frozen=True)
class BalancedServer:
    """One app instance as the app balancer reaches it over one network path."""

    name: str
    host: str
    port: int


def haproxy_cfg(spec: ClusterSpec, proxy: HAProxyInstance) -> RenderedFile:
    """Returns ``haproxy.cfg`` for one load-balancer path: PostgreSQL and the apps."""
    servers = [BalancedServer(f"app{a.name}", a.host, a.port) for a in spec.apps]
    text = _render(
        "haproxy.cfg.j2",
        spec=spec,
        proxy=proxy,
        default_server=HAPROXY_DEFAULT_SERVER,
        idle_timeout=HAPROXY_IDLE_TIMEOUT,
        connect_timeout=MINWON_TUNED["haproxy_timeout_connect"],
        bind_host=proxy.host,
        port=proxy.app_port,
        servers=servers,
        apps=_APPS,
    )
    return RenderedFile(proxy.config_file, text)


def app_balancer_cfg(
    path: str,
    *,
    name: str,
    bind: tuple[str, int],
    admin_socket: str,
    servers: list[BalancedServer],
) -> RenderedFile:
    """Returns the ``haproxy.cfg`` of a balancer in front of the apps only (a kiosk
    network's): HTTP to `servers` on `bind`, runtime API on `admin_socket`."""
    text = _render(
        "haproxy-apps.cfg.j2",
        name=name,
        bind_host=bind[0],
        port=bind[1],
        admin_socket=admin_socket,
        servers=servers,
        apps=_APPS,
    )
    return RenderedFile(path, text)


def app_env(spec: ClusterSpec, app: AppInstance, credentials: Credentials) -> RenderedFile:
    """Returns the app's ``MINWON_*`` settings, with the multi-host database URL."""
    text = _render(
        "app.env.j2",
        spec=spec,
        app=app,
        database_url=spec.database_url(credentials.app_password),
        public_base_url=spec.apps[0].url,
        trusted_proxies=",".join(sorted({proxy.host for proxy in spec.haproxies})),
    )
    return RenderedFile(app.env_file, text, 0o600)


def etcd_unit(spec: ClusterSpec, member: EtcdMember) -> RenderedFile:
    """Returns the systemd unit that runs etcd on a real host."""
    text = _render("minwon-etcd.service.j2", spec=spec, member=member)
    return RenderedFile("/etc/systemd/system/minwon-etcd.service", text)


def patroni_unit(spec: ClusterSpec, node: PatroniNode) -> RenderedFile:
    """Returns the systemd unit that runs Patroni on a real host."""
    text = _render("minwon-patroni.service.j2", spec=spec, node=node)
    return RenderedFile("/etc/systemd/system/minwon-patroni.service", text)


def guard_unit(spec: ClusterSpec, node: PatroniNode) -> RenderedFile:
    """Returns the systemd unit of the node's guard (``minwon cluster guard``)."""
    text = _render("minwon-pgguard.service.j2", spec=spec, node=node)
    return RenderedFile("/etc/systemd/system/minwon-pgguard.service", text)


def app_unit(spec: ClusterSpec, app: AppInstance) -> RenderedFile:
    """Returns the systemd unit that runs the app on a real host: the build its
    ``current`` link points at (``minwon release`` switches it)."""
    text = _render("minwon-app.service.j2", spec=spec, app=app, current=CURRENT, releases=RELEASES)
    return RenderedFile(f"/etc/systemd/system/{UNIT}", text)


def watch_unit(spec: ClusterSpec, *, env_file: str, root: str) -> RenderedFile:
    """Returns the systemd unit of the incident watcher (``cluster/watch_plan.py``)."""
    context = {"env_file": env_file, "root": root, "current": CURRENT}
    text = _render("minwon-watch.service.j2", spec=spec, **context)
    return RenderedFile("/etc/systemd/system/minwon-watch.service", text)


def host_release(spec: ClusterSpec) -> tuple[str, ...]:
    """Returns the argv of ``minwon release host`` on a real host, with the Python of the
    host's base environment (beside ``minwon_bin``)."""
    return (str(Path(spec.minwon_bin).with_name("python")), "-m", "minwon.cli.release_host")


def release_sudoers(spec: ClusterSpec, app: AppInstance) -> RenderedFile:
    """Returns the sudoers drop-in that lets the deploy account start and stop the app's
    unit and run ``minwon release host`` as the app's user, and nothing more."""
    text = _render(
        "sudoers-release.j2",
        spec=spec,
        app=app,
        deploy_user=DEPLOY_USER,
        unit=UNIT,
        host_release=" ".join(host_release(spec)),
    )
    return RenderedFile("/etc/sudoers.d/minwon-release", text, 0o440)


def parse_env(text: str) -> dict[str, str]:
    """Returns the ``KEY=value`` pairs of an env file (comments and blanks skipped)."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        result[key.strip()] = value.strip()
    return result
