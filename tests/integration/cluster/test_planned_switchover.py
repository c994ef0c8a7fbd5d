"""The watcher reads a requested switchover where Patroni keeps it: the ``failover`` key
in etcd (a real etcd member; the key as Patroni writes it on ``POST /switchover``)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.incidents.planned import failover_key, requested_switchover
from support.binaries import require
from support.cluster_specs import example_local_spec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def spec(tmp_path: Path) -> Iterator[ClusterSpec]:
    """A spec whose first etcd member runs (the other two do not answer)."""
    etcd = require("etcd")
    spec = example_local_spec(first_port=free_port(), run_dir=str(tmp_path / "run"))
    member = spec.etcd[0]
    peer = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [
            etcd,
            "--name=solo",
            f"--data-dir={tmp_path / 'etcd'}",
            f"--listen-client-urls={member.client_url}",
            f"--advertise-client-urls={member.client_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=solo={peer}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while requested_switchover(spec, 0.5) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        yield spec
    finally:
        process.kill()
        process.wait()


def _put(spec: ClusterSpec, value: str) -> None:
    etcdctl = require("etcdctl")
    subprocess.run(
        [etcdctl, f"--endpoints={spec.etcd[0].client_url}", "put", failover_key(spec), value],
        check=True,
        capture_output=True,
        env={"ETCDCTL_API": "3"},
    )


def test_a_requested_switchover_is_read_from_etcd_until_patroni_deletes_it(
    spec: ClusterSpec,
) -> None:
    assert failover_key(spec) == f"/{spec.namespace.strip('/')}/{spec.scope}/failover"
    assert requested_switchover(spec, 0.5) == {}  # none asked
    _put(spec, json.dumps({"leader": "pg1", "member": "pg2"}))
    assert requested_switchover(spec, 0.5) == {"leader": "pg1", "member": "pg2"}
    _put(spec, "not json")  # written some other way: still a request, leader unknown
    assert requested_switchover(spec, 0.5) == {"leader": "", "member": ""}


def test_no_etcd_member_answering_is_not_knowing(tmp_path: Path) -> None:
    spec = example_local_spec(first_port=free_port(), run_dir=str(tmp_path / "run"))
    assert requested_switchover(spec, 0.2) is None
