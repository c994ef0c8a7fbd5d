"""Rendering the cluster's configuration: nothing contacted; HAProxy only checks a file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from minwon.operations.cluster import render
from minwon.operations.cluster.plan import write_plan
from minwon.operations.cluster.spec import DEPLOY_USER, ClusterSpec, Credentials
from minwon.operations.cluster.topology import HostPlace, Placement, hosts_spec
from minwon.operations.cluster.tuning import (
    MINWON_TUNED,
    PATH_CHECK_BYTES,
    PATH_CHECK_END,
    PATRONI_DEFAULTS,
    dcs_settings,
)
from minwon.operations.release.fleet_plan import CURRENT, FleetPlan, FleetPlanError
from support.binaries import require, require_binaries
from support.cluster_specs import example_local_spec

HOSTS = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]


def _local() -> ClusterSpec:
    return example_local_spec(first_port=41000, run_dir="/var/tmp/minwon-cluster-test")


def test_every_node_gets_its_own_patroni_yml_with_the_same_scope_and_etcd_hosts() -> None:
    for spec in (_local(), hosts_spec(HOSTS)):
        configs = [yaml.safe_load(render.patroni_yml(spec, n).text) for n in spec.nodes]
        assert [c["name"] for c in configs] == ["pg1", "pg2", "pg3"]
        assert {c["scope"] for c in configs} == {"minwon"}
        assert {c["etcd3"]["hosts"] for c in configs} == {spec.etcd_hosts}
        for node, config in zip(spec.nodes, configs, strict=True):
            assert config["postgresql"]["listen"] == f"{node.host}:{node.pg_port}"
            assert config["postgresql"]["connect_address"] == f"{node.host}:{node.pg_port}"
            assert config["restapi"]["listen"] == f"{node.host}:{node.rest_port}"
            assert config["postgresql"]["data_dir"] == node.data_dir
        assert len({c["restapi"]["listen"] for c in configs}) == 3


def test_local_cluster_listens_on_loopback_only_and_never_on_default_ports() -> None:
    spec = _local()
    defaults = {2379, 2380, 5432, 8008, 5000}
    ports = [p for m in spec.etcd for p in (m.client_port, m.peer_port)]
    ports += [p for n in spec.nodes for p in (n.pg_port, n.rest_port)]
    ports += [p for h in spec.haproxies for p in (h.port, h.stats_port)] + [spec.apps[0].port]
    assert not defaults & set(ports)
    assert len(set(ports)) == len(ports)
    assert {m.host for m in spec.etcd} | {n.host for n in spec.nodes} == {"127.0.0.1"}


def test_bootstrap_dcs_holds_the_tuned_failover_settings() -> None:
    dcs = yaml.safe_load(render.patroni_yml(_local(), _local().nodes[0]).text)["bootstrap"]["dcs"]
    assert dcs == dcs_settings()
    assert dcs["ttl"] >= 20
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]
    # Quorum commit (ANY 1 of the two standbys), strict: a hung standby stalls nothing.
    assert dcs["synchronous_mode"] == "quorum" and dcs["synchronous_mode_strict"] is True
    assert dcs["synchronous_node_count"] == 1
    assert dcs["postgresql"]["parameters"]["wal_receiver_status_interval"] == "1s"
    assert dcs["failsafe_mode"] is True and dcs["primary_start_timeout"] == 0
    assert dcs["postgresql"]["use_pg_rewind"] is True
    assert dcs["postgresql"]["parameters"]["wal_log_hints"] == "on"
    assert set(PATRONI_DEFAULTS) == set(MINWON_TUNED)


def test_every_haproxy_path_also_balances_every_app_checked_with_a_large_echo(
    tmp_path: Path,
) -> None:
    haproxy = require("haproxy")
    for spec in (_local(), hosts_spec(HOSTS)):
        for proxy in spec.haproxies:
            text = render.haproxy_cfg(spec, proxy).text
            apps = text.split("listen minwon_apps", 1)[1]
            assert f"bind {proxy.host}:{proxy.app_port}" in apps and proxy.app_port > 0
            for app in spec.apps:
                assert f"server app{app.name} {app.host}:{app.port} check" in apps
            assert "uri /healthz/echo" in apps and f"expect string {PATH_CHECK_END}" in apps
            assert f"stats socket {proxy.admin_socket} mode " in text
    spec = _local()
    config = tmp_path / "haproxy.cfg"
    config.write_text(render.haproxy_cfg(spec, spec.haproxies[0]).text)
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_haproxy_lists_the_three_nodes_checked_on_patroni_primary_endpoint() -> None:
    spec = _local()
    for proxy in spec.haproxies:
        text = render.haproxy_cfg(spec, proxy).text
        assert "mode tcp" in text
        assert "option httpchk GET /primary" in text
        assert "http-check expect status 200" in text
        assert "inter 1s fastinter 500ms" in text and "fall 2 rise 1" in text
        assert "on-marked-down shutdown-sessions" in text
        assert "downinter 250ms" in text and "timeout connect 250ms" in text
        assert f"bind 127.0.0.1:{proxy.port}" in text
        for node in spec.nodes:
            assert (
                f"server {node.name} {node.host}:{node.pg_port} check port {node.rest_port}" in text
            )


def test_systemd_units_reference_the_config_paths() -> None:
    spec = hosts_spec(HOSTS)
    node, member, app = spec.nodes[0], spec.etcd[0], spec.apps[0]
    patroni = render.patroni_unit(spec, node).text
    assert f"ExecStart={spec.patroni_bin} {node.config_file}" in patroni
    assert f"EnvironmentFile={node.env_file}" in patroni
    assert "KillMode=process" in patroni
    assert f"EnvironmentFile={member.env_file}" in render.etcd_unit(spec, member).text
    assert f"EnvironmentFile={app.env_file}" in render.app_unit(spec, app).text


def test_database_url_goes_through_every_haproxy_and_asks_for_a_writable_node() -> None:
    spec = _local()
    url = make_url(spec.database_url("pw"))
    assert url.drivername == "postgresql+psycopg"
    assert url.query["host"] == tuple(f"127.0.0.1:{p.port}" for p in spec.haproxies)
    assert url.query["target_session_attrs"] == "read-write"
    assert url.database == "minwon" and url.username == "minwon"


def test_plan_writes_each_host_from_the_same_templates_with_placeholder_secrets(
    tmp_path: Path,
) -> None:
    spec = hosts_spec(HOSTS)
    secret = Credentials.generate()
    written = write_plan(spec, tmp_path)
    for host in HOSTS:
        for name in (
            "patroni.yml",
            "etcd.env",
            "haproxy.cfg",
            "patroni.env",
            "systemd/minwon-patroni.service",
            "systemd/minwon-etcd.service",
            "systemd/minwon-app.service",
            "systemd/minwon-pgguard.service",
        ):
            assert (tmp_path / host / name).is_file(), f"{host}/{name}"
        guard = (tmp_path / host / "systemd/minwon-pgguard.service").read_text()
        assert "cluster guard --host" in guard and "Restart=always" in guard
        config = yaml.safe_load((tmp_path / host / "patroni.yml").read_text())
        assert config["restapi"]["listen"] == f"{host}:8008"
        assert config["postgresql"]["data_dir"] == "/var/lib/postgresql/15/main"
    app_env = render.parse_env((tmp_path / "app.env").read_text())
    assert "${MINWON_DB_PASSWORD}" in app_env["MINWON_DATABASE_URL"]
    assert "host=10.0.0.11:5000&host=10.0.0.12:5000" in app_env["MINWON_DATABASE_URL"]
    patroni_env = render.parse_env((tmp_path / HOSTS[0] / "patroni.env").read_text())
    assert patroni_env["PATRONI_SUPERUSER_PASSWORD"] == "${PATRONI_SUPERUSER_PASSWORD}"
    everything = "".join(p.read_text() for p in written)
    assert secret.superuser_password not in everything
    assert "password:" not in (tmp_path / HOSTS[0] / "patroni.yml").read_text()


def test_spec_survives_a_round_trip_through_state_json() -> None:
    spec = _local()
    assert ClusterSpec.from_dict(spec.to_dict()) == spec


PLACED = Placement(
    hosts=tuple(HostPlace(f"10.232.0.{10 + i}", f"mh1-h{i}") for i in (1, 2, 3)),
    app_tier="mh1-lan",
    subnet="10.232.0.0/24",
)


def test_a_placed_cluster_runs_each_host_in_its_namespace_on_its_address() -> None:
    spec = example_local_spec(first_port=43000, run_dir="/var/tmp/x", placement=PLACED)
    for i, (member, node) in enumerate(zip(spec.etcd, spec.nodes, strict=True), start=1):
        assert (
            (member.host, member.netns)
            == (node.host, node.netns)
            == (f"10.232.0.1{i}", f"mh1-h{i}")
        )
        config = yaml.safe_load(render.patroni_yml(spec, node).text)
        assert config["postgresql"]["listen"] == f"10.232.0.1{i}:{node.pg_port}"
        assert "host all all 10.232.0.0/24 scram-sha-256" in config["postgresql"]["pg_hba"]
    assert {p.netns for p in spec.haproxies} | {a.netns for a in spec.apps} == {"mh1-lan"}
    assert {p.host for p in spec.haproxies} | {a.host for a in spec.apps} == {"127.0.0.1"}
    assert spec.hba_sources == ("10.232.0.0/24",)
    assert ClusterSpec.from_dict(spec.to_dict()) == spec
    assert {m.netns for m in _local().etcd} | {n.netns for n in _local().nodes} == {""}


def test_a_spec_saved_before_namespaces_existed_runs_in_the_launchers_own() -> None:
    data = _local().to_dict()
    for part in ("etcd", "nodes", "haproxies", "apps"):
        for item in data[part]:
            del item["netns"]
    assert ClusterSpec.from_dict(data) == _local()


def test_the_app_balancer_checks_every_path_with_a_large_echo_and_haproxy_accepts_it(
    tmp_path: Path,
) -> None:
    haproxy = require("haproxy")
    servers = [
        render.BalancedServer(f"app{n}-{p}", f"10.231.{i}.2", 8000 + n)
        for n in (1, 2)
        for i, p in ((1, "a"), (2, "b"))
    ]
    config = render.app_balancer_cfg(
        str(tmp_path / "balancer.cfg"),
        name="kiosks",
        bind=("127.0.0.1", 8080),
        admin_socket=str(tmp_path / "admin.sock"),
        servers=servers,
    )
    Path(config.path).write_text(config.text)
    checked = subprocess.run([haproxy, "-c", "-f", config.path], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    send = next(line for line in config.text.splitlines() if "http-check send" in line)
    body = send.split('body "', 1)[1].rstrip('"')
    assert len(body) == PATH_CHECK_BYTES and body.endswith(PATH_CHECK_END)
    assert f"http-check expect string {PATH_CHECK_END}" in config.text  # the whole echo
    assert "meth POST uri /healthz/echo" in send
    for server in servers:
        assert f"server {server.name} {server.host}:{server.port} check" in config.text
    assert "level admin" in config.text  # the runtime API drains instances for releases


def test_the_plan_lets_minwon_release_roll_builds_over_the_hosts(tmp_path: Path) -> None:
    """Each app host runs the build its ``current`` link names; the deploy account may
    start and stop that unit and run ``minwon release host`` as the app's user, nothing
    else; each HAProxy's admin socket is open to the deploy group; ``fleet.json`` says
    all of it to ``minwon release run --fleet``."""
    spec = hosts_spec(HOSTS)
    write_plan(spec, tmp_path)
    fleet = FleetPlan.load(tmp_path)
    assert [(a.name, a.host, a.url) for a in fleet.apps] == [
        (str(i), h, f"http://{h}:8000") for i, h in enumerate(HOSTS, 1)
    ]
    assert fleet.transport.kind == "ssh" and fleet.transport.user == DEPLOY_USER
    for app in fleet.apps:
        python = spec.minwon_bin.removesuffix("/minwon") + "/python"
        release_host = (python, "-m", "minwon.cli.release_host")
        assert app.host_command == ("sudo", "-n", "-u", spec.app_os_user, *release_host)
        assert app.service.start == ("sudo", "-n", "systemctl", "start", "minwon-app.service")
        unit = (tmp_path / app.host / "systemd/minwon-app.service").read_text()
        assert f"ExecStart={app.current}/venv/bin/python -m minwon.cli.main serve" in unit
        sudoers = (tmp_path / app.host / "sudoers/minwon-release").read_text()
        rules = [line for line in sudoers.splitlines() if line and not line.startswith("#")]
        assert rules == [
            f"{DEPLOY_USER} ALL=(root) NOPASSWD: /usr/bin/systemctl start minwon-app.service, "
            "/usr/bin/systemctl stop minwon-app.service",
            f"{DEPLOY_USER} ALL=({spec.app_os_user}) NOPASSWD: {' '.join(release_host)} *",
        ]
        assert (tmp_path / app.host / "sudoers/minwon-release").stat().st_mode & 0o777 == 0o440
    assert [(b.host, b.admin_socket) for b in fleet.balancers] == [
        (h, "/run/haproxy/minwon-admin.sock") for h in HOSTS
    ]
    haproxy = (tmp_path / HOSTS[0] / "haproxy.cfg").read_text()
    assert (
        f"stats socket /run/haproxy/minwon-admin.sock mode 660 group {DEPLOY_USER} level admin"
        in haproxy
    )
    local = example_local_spec(first_port=44000, run_dir=str(tmp_path / "run"))
    local_cfg = render.haproxy_cfg(local, local.haproxies[0]).text
    assert "mode 600 level admin" in local_cfg and "group" not in local_cfg.split("defaults")[0]
    assert "minwon release run --fleet fleet.json" in (tmp_path / "INSTALL.txt").read_text()


def test_a_broken_fleet_file_is_a_plain_error(tmp_path: Path) -> None:
    for text, says in (
        ("{", "읽을 수 없습니다"),
        ('{"apps": [], "balancers": []}', "앱 인스턴스가 없습니다"),
        ('{"apps": [{"name": "1"}], "balancers": []}', "읽을 수 없습니다"),
        (
            '{"apps": [{"name": "1", "host": "h", "url": "u", "host_command": []}],'
            ' "balancers": []}',
            "읽을 수 없습니다",
        ),
        (
            '{"apps": [{"name": "1", "host": "h", "url": "u", "host_command": ["m"]}],'
            ' "balancers": [], "transport": {"kind": "telnet"}}',
            "ssh 또는 local",
        ),
    ):
        with pytest.raises(FleetPlanError, match=says):
            FleetPlan.from_json(text)
    with pytest.raises(FleetPlanError, match="읽을 수 없습니다"):
        FleetPlan.load(tmp_path / "missing.json")


def test_systemd_and_sudo_accept_the_release_files_of_the_plan(tmp_path: Path) -> None:
    """``systemd-analyze verify`` reads the app unit as systemd would (its ExecStart
    pointed at a Python that exists here), ``visudo -c`` the sudoers drop-in."""
    analyze, visudo = require("systemd-analyze"), require("visudo")
    write_plan(hosts_spec(HOSTS), tmp_path / "plan")
    host = tmp_path / "plan" / HOSTS[0]
    current = tmp_path / "current"
    (current / "venv" / "bin").mkdir(parents=True)
    (current / "venv" / "bin" / "python").symlink_to(sys.executable)
    unit = tmp_path / "units" / "minwon-app.service"
    unit.parent.mkdir()
    unit.write_text(
        (host / "systemd/minwon-app.service").read_text().replace(CURRENT, str(current))
    )
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    parsed = subprocess.run(
        [visudo, "-c", "-f", str(host / "sudoers/minwon-release")], capture_output=True, text=True
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    broken = tmp_path / "broken-sudoers"
    broken.write_text("minwon-deploy ALL=(root) NOPASSWD systemctl\n")  # no colon, no path
    assert subprocess.run([visudo, "-c", "-f", str(broken)], capture_output=True).returncode != 0


def test_systemd_accepts_the_backup_services_and_timers_of_the_plan(tmp_path: Path) -> None:
    """``systemd-analyze verify`` reads each database host's backup units as systemd
    would: pgBackRest and psql at the paths the plan names exist here (``make setup``)."""
    analyze = require("systemd-analyze")
    require_binaries("pgbackrest", "psql")
    write_plan(hosts_spec(HOSTS), tmp_path / "plan")
    units = tmp_path / "units"
    shutil.copytree(tmp_path / "plan" / HOSTS[0] / "systemd", units)
    for kind in ("full", "diff"):
        service, timer = (
            units / f"minwon-backup-{kind}.service",
            units / f"minwon-backup-{kind}.timer",
        )
        verified = subprocess.run(
            [analyze, "verify", str(service), str(timer)], capture_output=True, text=True
        )
        assert verified.returncode == 0, verified.stderr
    broken = units / "minwon-backup-full.service"  # a backup program that is not there
    broken.write_text(broken.read_text().replace("/usr/bin/pgbackrest ", "/usr/bin/pgbackrst "))
    rejected = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True)
    assert rejected.returncode != 0 and "pgbackrst" in rejected.stderr
