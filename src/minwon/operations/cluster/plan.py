"""Configuration files for real hosts: ``minwon cluster plan --hosts ... --out DIR``.

Writes, per host, what the local launcher renders from the same templates: Patroni,
etcd, HAProxy, systemd units, plus ``app.env``, and the incident watcher's unit and root
on the first app host (``watch_plan.py``). Only files; nothing is contacted.
Secrets are ``${...}`` placeholders for the operator to fill from the city's secret store
(e.g. ``envsubst``) before installing the env files with mode 0600.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from minwon.operations.cluster import render
from minwon.operations.cluster.render import RenderedFile
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.watch_plan import WATCH_STEPS, watch_files, watch_host
from minwon.operations.release.fleet_plan import FleetPlan, HostApp, HostBalancer


def plan_files(spec: ClusterSpec) -> dict[str, list[tuple[str, RenderedFile]]]:
    """Returns, per host, (file name in the plan, rendered file) pairs."""
    credentials = Credentials.placeholders()
    hosts: dict[str, list[tuple[str, RenderedFile]]] = {}

    def add(host: str, name: str, rendered: RenderedFile) -> None:
        hosts.setdefault(host, []).append((name, rendered))

    for member in spec.etcd:
        add(member.host, "etcd.env", render.etcd_env(spec, member))
        add(member.host, "systemd/minwon-etcd.service", render.etcd_unit(spec, member))
    for node in spec.nodes:
        add(node.host, "patroni.yml", render.patroni_yml(spec, node))
        add(node.host, "patroni.env", render.patroni_env(spec, node, credentials))
        add(node.host, "post_bootstrap.sh", render.post_bootstrap(spec, node))
        add(node.host, "systemd/minwon-patroni.service", render.patroni_unit(spec, node))
        add(node.host, "systemd/minwon-pgguard.service", render.guard_unit(spec, node))
        if spec.backup_repo and node.backup_config:
            add(node.host, "pgbackrest.conf", render.pgbackrest_conf(spec, node))
            for unit in render.backup_timers(spec, node):
                add(node.host, f"systemd/{Path(unit.path).name}", unit)
    for proxy in spec.haproxies:
        # Debian's own haproxy.service runs it; only the configuration is ours.
        add(proxy.host, "haproxy.cfg", render.haproxy_cfg(spec, proxy))
    for app in spec.apps:
        add(app.host, "app.env", render.app_env(spec, app, credentials))
        add(app.host, "systemd/minwon-app.service", render.app_unit(spec, app))
        add(app.host, "sudoers/minwon-release", render.release_sudoers(spec, app))
    for name, rendered in watch_files(spec):
        add(watch_host(spec), name, rendered)
    return hosts


def release_fleet(spec: ClusterSpec) -> FleetPlan:
    """Returns the fleet ``minwon release --fleet`` rolls builds over: each app host
    over SSH (``minwon`` as the app's user), each HAProxy's admin socket."""
    return FleetPlan(
        apps=tuple(
            HostApp(
                name=app.name,
                host=app.host,
                url=app.url,
                host_command=("sudo", "-n", "-u", spec.app_os_user, *render.host_release(spec)),
            )
            for app in spec.apps
        ),
        balancers=tuple(
            HostBalancer(proxy.name, proxy.host, proxy.admin_socket) for proxy in spec.haproxies
        ),
    )


def write_plan(spec: ClusterSpec, out_dir: Path) -> list[Path]:
    """Writes the plan under `out_dir` (``<host>/...`` and ``app.env``); returns the paths.

    Each file starts where it belongs on its host (see ``INSTALL.txt``); ``app.env`` at the
    top is the app's settings with the multi-host database URL, the same on every host.
    """
    written: list[Path] = []
    install_lines = [
        "# Where each file goes on its host (fill ${...} placeholders first; env files 0600).",
    ]
    for host, files in plan_files(spec).items():
        for name, rendered in files:
            path = out_dir / host / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered.text, encoding="utf-8")
            path.chmod(rendered.mode)
            written.append(path)
            install_lines.append(f"{host}/{name} -> {rendered.path} (mode {rendered.mode:o})")
    top = out_dir / "app.env"
    top.write_text(render.app_env(spec, spec.apps[0], Credentials.placeholders()).text)
    top.chmod(0o600)
    fleet = out_dir / "fleet.json"
    fleet.write_text(release_fleet(spec).to_json(), encoding="utf-8")
    install_lines += RELEASE_STEPS + WATCH_STEPS
    if spec.backup_repo:
        install_lines += backup_steps(spec)
    alerts = out_dir / "prometheus" / "minwon-alerts.yml"
    alerts.parent.mkdir(exist_ok=True)
    alerts.write_text(ALERT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    install_lines += MONITORING_STEPS
    install = out_dir / "INSTALL.txt"
    install.write_text("\n".join(install_lines) + "\n", encoding="utf-8")
    return [*written, top, fleet, alerts, install]


# The alert rules the tests check with promtool (src/minwon/data/minwon-alerts.yml).
ALERT_RULES = resources.files("minwon") / "data" / "minwon-alerts.yml"
MONITORING_STEPS = [
    "",
    "# Monitoring: prometheus/minwon-alerts.yml -> the Prometheus server's rule_files; scrape",
    "#   each app's /metrics as job minwon (MINWON_METRICS_NETWORKS or the bearer token), and",
    "#   on one database host run `minwon inspect --prometheus <textfile dir>/minwon.prom`",
    "#   from cron (every 15 min) for node_exporter's textfile collector.",
]


def backup_steps(spec: ClusterSpec) -> list[str]:
    """Returns INSTALL.txt's one-time steps for pgBackRest on the database hosts."""
    return [
        "",
        "# Backups (pgBackRest, stanza minwon; minwon backup on the local cluster):",
        f"# - database hosts: apt-get install pgbackrest; {spec.backup_repo} is the ONE",
        "#   repository all of them share (a file system mounted at that path on each,",
        f"#   e.g. NFS from the backup server), owned by {spec.db_os_user}; mkdir the spool",
        "#   and log folders named in pgbackrest.conf, owned by the same user.",
        "# - post_bootstrap.sh creates the stanza once the cluster is initialised;",
        "#   PostgreSQL archives WAL there from the start (archive-push, asynchronous).",
        "# - systemctl enable --now minwon-backup-full.timer minwon-backup-diff.timer on",
        "#   every database host: only the primary backs up (ExecCondition).",
        "# - the second site keeps a repository of its own (issue 13, item 3).",
    ]


RELEASE_STEPS = [
    "",
    "# Releases (minwon release --fleet fleet.json, from an operator's machine):",
    "# - app hosts: an account minwon-deploy with the operator's SSH key; the sudoers file",
    "#   above; the base environment at /opt/minwon/.venv (pip install minwon); the first",
    "#   build: sudo -u minwon /opt/minwon/.venv/bin/minwon release host install --source",
    "#   <checkout>, then ... release host switch <build id> (prints the id), then",
    "#   systemctl enable --now minwon-app.service.",
    "# - HAProxy hosts: apt-get install socat; minwon-deploy in group minwon-deploy (the",
    "#   admin socket is mode 660 for that group).",
    "# - then: minwon release run --fleet fleet.json --source <new checkout>",
    "#   --env-file app.env --probe-password-file <file> (app.env with its secrets filled).",
]
