"""pgBackRest's configuration and the PostgreSQL settings that archive to it, as rendered
for the local cluster and for real hosts (nothing started)."""

from __future__ import annotations

import configparser
from dataclasses import replace
from pathlib import Path

import yaml

from minwon.operations.cluster import render
from minwon.operations.cluster.plan import plan_files, write_plan
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.topology import hosts_spec
from support.cluster_specs import example_local_spec

HOSTS = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
RUN = "/var/tmp/minwon-cluster-test"


def _local() -> ClusterSpec:
    return example_local_spec(first_port=45000, run_dir=RUN)


def _conf(spec: ClusterSpec, index: int) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(render.pgbackrest_conf(spec, spec.nodes[index]).text)
    return parser


def test_every_local_node_names_the_one_repository_and_itself_as_pg1() -> None:
    spec = _local()
    confs = [_conf(spec, i) for i in range(3)]
    assert {c["global"]["repo1-path"] for c in confs} == {f"{RUN}/backup/repo"}
    assert {c["global"]["lock-path"] for c in confs} == {f"{RUN}/backup/lock"}
    for node, conf in zip(spec.nodes, confs, strict=True):
        assert conf.sections() == ["global", "global:archive-get", "minwon"]
        assert dict(conf["minwon"]) == {
            "pg1-path": node.data_dir,
            "pg1-port": str(node.pg_port),
            "pg1-socket-path": node.socket_dir,
            "pg1-user": "postgres",
        }
        assert conf["global"]["spool-path"] == f"{node.node_dir}/pgbackrest/spool"
        assert conf["global"]["log-path"] == f"{node.node_dir}/pgbackrest/log"
    assert len({c["global"]["spool-path"] for c in confs}) == 3
    assert render.pgbackrest_conf(spec, spec.nodes[0]).path == f"{RUN}/config/pg1/pgbackrest.conf"


def test_archiving_is_asynchronous_with_retention_and_never_a_queue_limit() -> None:
    for spec in (_local(), hosts_spec(HOSTS)):
        text = render.pgbackrest_conf(spec, spec.nodes[0]).text
        settings = _conf(spec, 0)["global"]
        assert settings["archive-async"] == "y"
        # Fetching is synchronous: asynchronous archive-get waited 60 s on every failover.
        assert _conf(spec, 0)["global:archive-get"]["archive-async"] == "n"
        assert settings["repo1-retention-full"] == "2" and settings["repo1-retention-diff"] == "6"
        assert "archive-push-queue-max" not in settings
        assert "password" not in text  # peer authentication over the Unix socket


def test_patroni_archives_to_pgbackrest_and_standbys_restore_from_it() -> None:
    spec = _local()
    for node in spec.nodes:
        postgresql = yaml.safe_load(render.patroni_yml(spec, node).text)["postgresql"]
        parameters = postgresql["parameters"]
        assert parameters["archive_mode"] == "on"
        assert parameters["archive_command"] == (
            f"/usr/bin/pgbackrest --config={node.backup_config} --stanza=minwon archive-push %p"
        )
        assert postgresql["recovery_conf"]["restore_command"] == (
            f'/usr/bin/pgbackrest --config={node.backup_config} --stanza=minwon archive-get %f "%p"'
        )
        # pgBackRest (the database OS user) reaches the superuser over the socket by peer;
        # every other local connection still needs its password.
        assert postgresql["pg_hba"][:2] == [
            "local all postgres peer map=backup",
            "local all all scram-sha-256",
        ]
        assert postgresql["pg_ident"] == ["backup minwon-db postgres"]


def test_the_stanza_is_created_right_after_bootstrap() -> None:
    spec = _local()
    script = render.post_bootstrap(spec, spec.nodes[0]).text
    assert script.rstrip().endswith(
        f"/usr/bin/pgbackrest --config={spec.nodes[0].backup_config} --stanza=minwon stanza-create"
    )


def test_a_cluster_saved_before_backups_existed_renders_without_archiving() -> None:
    data = _local().to_dict()
    del data["backup_repo"], data["backup_lock_dir"], data["pgbackrest_bin"]
    for node in data["nodes"]:
        del node["backup_config"]
    old = ClusterSpec.from_dict(data)
    postgresql = yaml.safe_load(render.patroni_yml(old, old.nodes[0]).text)["postgresql"]
    assert "archive_mode" not in postgresql["parameters"]
    assert "recovery_conf" not in postgresql and "pg_ident" not in postgresql
    assert postgresql["pg_hba"][0] == "local all all scram-sha-256"
    assert "pgbackrest" not in render.post_bootstrap(old, old.nodes[0]).text
    assert replace(old, backup_repo="x").backup_repo == "x"


def test_the_plan_gives_each_database_host_its_config_and_backup_timers(tmp_path: Path) -> None:
    spec = hosts_spec(HOSTS)
    files = plan_files(spec)
    for host in HOSTS:
        names = {name: rendered for name, rendered in files[host]}
        assert names["pgbackrest.conf"].path == "/etc/pgbackrest/pgbackrest.conf"
        for kind in ("full", "diff"):
            service = names[f"systemd/minwon-backup-{kind}.service"].text
            timer = names[f"systemd/minwon-backup-{kind}.timer"].text
            assert "User=postgres" in service and "Type=oneshot" in service
            assert (
                "ExecStart=/usr/bin/pgbackrest --config=/etc/pgbackrest/pgbackrest.conf "
                f"--stanza=minwon --type={kind} backup"
            ) in service
            assert "ExecCondition=" in service and "pg_is_in_recovery()" in service
            assert f"Unit=minwon-backup-{kind}.service" in timer and "Persistent=true" in timer
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(render.pgbackrest_conf(spec, spec.nodes[1]).text)
    assert conf["global"]["repo1-path"] == "/var/lib/pgbackrest"
    assert conf["minwon"]["pg1-path"] == "/var/lib/postgresql/15/main"
    write_plan(spec, tmp_path)
    install = (tmp_path / "INSTALL.txt").read_text()
    assert "minwon-backup-full.timer" in install and "/var/lib/pgbackrest" in install
    assert "${" in render.patroni_env(spec, spec.nodes[0], Credentials.placeholders()).text
