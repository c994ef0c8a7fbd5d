"""The backup tests' one cluster (``tests/integration/backup/conftest.py``) and the
``minwon`` command run against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import psycopg

from minwon.operations.cluster.local import LocalCluster


def superuser(cluster: LocalCluster, member: str) -> psycopg.Connection[Any]:
    """Returns an autocommit connection to `member`'s ``postgres`` database as the
    superuser (a WAL switch, the archiver's view); use it as a context manager."""
    node = cluster.spec.node(member)
    return psycopg.connect(
        host=node.host,
        port=node.pg_port,
        user=cluster.spec.superuser,
        password=cluster.credentials.superuser_password,
        dbname="postgres",
        autocommit=True,
    )


def minwon(
    cluster: LocalCluster, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m minwon.cli.main ARGS --root ROOT`` as a person would."""
    argv = [sys.executable, "-m", "minwon.cli.main", *args, "--root", str(cluster.root)]
    env = {**os.environ, "COLUMNS": "200"}  # the table's rows whole, as on a terminal
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def listed(cluster: LocalCluster) -> dict[str, Any]:
    """Returns ``minwon backup list --json``."""
    done = minwon(cluster, "backup", "list", "--json")
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found
