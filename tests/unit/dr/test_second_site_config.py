"""The second site as rendered (nothing started): what it follows and through what, where
its WAL comes from, how it replicates once promoted, and the primary site's second
repository. Read as an auditor would: each line that matters is asserted."""

from __future__ import annotations

import configparser
import socket
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from minwon.operations.cluster import render
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.fence_mark import clear, mark, refuse_if_fenced
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.topology import SiteShape
from minwon.operations.dr.fence import check
from support.cluster_specs import example_local_spec

PRIMARY_RUN = "/var/tmp/minwon-cluster-primary"
SITE_RUN = "/var/tmp/minwon-cluster-site2"


def _pair(nodes: int = 2) -> tuple[ClusterSpec, ClusterSpec]:
    primary = example_local_spec(first_port=46000, run_dir=PRIMARY_RUN)
    shape = SiteShape(primary, "/srv/cluster", nodes)
    return primary, example_local_spec(first_port=47000, run_dir=SITE_RUN, shape=shape)


def _dcs(spec: ClusterSpec, index: int = 0) -> dict[str, object]:
    text = render.patroni_yml(spec, spec.nodes[index]).text
    loaded = yaml.safe_load(text)
    dcs = loaded["bootstrap"]["dcs"]
    assert isinstance(dcs, dict)
    return dcs


def test_the_second_site_is_one_etcd_one_path_one_app_and_one_or_two_nodes() -> None:
    primary, site = _pair()
    assert (len(site.etcd), len(site.nodes), len(site.haproxies), len(site.apps)) == (1, 2, 1, 1)
    assert site.standby is not None
    assert [u.name for u in site.standby.upstream] == primary.member_names
    assert [u.rest_port for u in site.standby.upstream] == [n.rest_port for n in primary.nodes]
    assert site.standby.primary_root == "/srv/cluster"
    assert site.backup_repo == f"{SITE_RUN}/backup/repo" != primary.backup_repo
    ports = [p for h in site.haproxies for p in (h.port, h.stats_port, h.app_port)]
    assert site.standby.link_port not in ports
    assert ClusterSpec.from_dict(site.to_dict()) == site
    with pytest.raises(ValueError, match="1 or 2"):
        SiteShape(primary, "/srv/cluster", 3)


def test_it_follows_the_primary_site_through_its_link_and_fetches_from_its_own_repository() -> None:
    _, site = _pair()
    assert site.standby is not None
    follow = _dcs(site)["standby_cluster"]
    assert isinstance(follow, dict)
    assert follow["host"] == site.haproxies[0].host
    assert follow["port"] == site.standby.link_port
    assert follow["create_replica_methods"] == ["basebackup"]
    restore = str(follow["restore_command"])
    assert "archive-get" in restore and site.nodes[0].backup_config in restore
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(render.pgbackrest_conf(site, site.nodes[0]).text)
    assert conf["global"]["repo1-path"] == site.backup_repo
    assert "repo2-path" not in conf["global"]


def test_once_promoted_it_keeps_writing_when_one_of_its_nodes_dies() -> None:
    _, two = _pair(2)
    assert _dcs(two)["synchronous_mode_strict"] is False
    assert _dcs(two)["synchronous_mode"] == "quorum"
    _, one = _pair(1)
    assert _dcs(one)["synchronous_mode"] is False  # no standby of its own to wait for


def test_the_primary_site_is_unchanged_by_the_feature() -> None:
    primary, _ = _pair()
    dcs = _dcs(primary)
    assert "standby_cluster" not in dcs and dcs["synchronous_mode_strict"] is True
    assert "site_link" not in render.haproxy_cfg(primary, primary.haproxies[0]).text


def test_the_link_is_an_haproxy_listener_to_whichever_primary_site_node_is_primary() -> None:
    primary, site = _pair()
    assert site.standby is not None
    text = render.haproxy_cfg(site, site.haproxies[0]).text
    section = text[text.index("listen site_link") :].split("\n\n")[0]
    assert f"bind {site.haproxies[0].host}:{site.standby.link_port}" in section
    assert "option httpchk GET /primary" in section
    for node in primary.nodes:
        assert (
            f"server {node.name} {node.host}:{node.pg_port} check port {node.rest_port}" in section
        )


def test_the_primary_site_archives_to_both_repositories_once_a_second_site_exists() -> None:
    primary, site = _pair()
    both = replace(primary, second_repo=site.backup_repo)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(render.pgbackrest_conf(both, both.nodes[0]).text)
    assert conf["global"]["repo1-path"] == primary.backup_repo
    assert conf["global"]["repo2-path"] == site.backup_repo
    assert conf["global"]["repo2-retention-full"] == conf["global"]["repo1-retention-full"]


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_site_with_any_path_still_accepting_is_not_fenced() -> None:
    primary, _ = _pair()
    with _listening() as sock:
        port = sock.getsockname()[1]
        proxies = (replace(primary.haproxies[0], host="127.0.0.1", port=port, app_port=0),)
        dead = replace(
            primary,
            nodes=tuple(replace(n, host="127.0.0.1", rest_port=1) for n in primary.nodes),
            haproxies=proxies,
            apps=(),
        )
        report = check(dead, timeout=0.5)
        assert not report.fenced
        assert report.answering == ("HAProxy 1 database path",)
    report = check(dead, timeout=0.5)  # the listener is closed now
    assert report.fenced and report.checked == 4


def test_a_fenced_site_starts_nothing_until_it_rejoins(tmp_path: Path) -> None:
    mark(tmp_path, by="/srv/cluster/site2", reason="second site promoted (dr.caught_up)")
    with pytest.raises(ClusterError, match="격리"):
        refuse_if_fenced(tmp_path)
    with pytest.raises(ClusterError, match="dr rejoin"):
        LocalCluster(tmp_path).up()
    clear(tmp_path)
    refuse_if_fenced(tmp_path)
