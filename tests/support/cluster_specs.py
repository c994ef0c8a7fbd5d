"""A local cluster spec on made-up paths and ports, for tests that start nothing."""

from __future__ import annotations

import itertools

from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.topology import Placement, SiteShape, local_spec


def example_local_spec(
    *,
    first_port: int,
    run_dir: str,
    placement: Placement | None = None,
    shape: SiteShape | None = None,
) -> ClusterSpec:
    """Returns the spec `minwon cluster up` would write, with ports from ``first_port``
    (its hosts in network namespaces with a `placement`; a second site of `shape`)."""
    ports = itertools.count(first_port)
    return local_spec(
        run_dir=run_dir,
        config_dir=f"{run_dir}/config",
        app_data_dir="/srv/app",
        apps=2,
        next_port=lambda: next(ports),
        pg_bindir="/usr/lib/postgresql/15/bin",
        patroni_bin="/opt/venv/bin/patroni",
        etcd_bin="/usr/bin/etcd",
        minwon_bin="/opt/venv/bin/minwon",
        db_os_user="minwon-db",
        placement=placement,
        shape=shape,
    )
