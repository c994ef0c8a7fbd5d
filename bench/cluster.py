"""Figures on the local Patroni cluster: issuance through both app instances, the
database's own insert rate (pgbench) beside Minwon's commit rate, and failover.

Everything shares the two cores: three PostgreSQL nodes with synchronous replication,
their Patroni agents, three etcd members, two HAProxy instances and two app instances
(one uvicorn worker each), plus the load generator.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bench import failover
from bench.common import Figure, bench_root, login
from bench.database import issuance_row_bytes, pgbench_rate, ratio_figures
from bench.http_load import issuance_figures, issue_load
from minwon.operations.cluster.local import LocalCluster

SECTION = "issuance (cluster: Patroni ×3, sync replication)"
DATABASE = "database baseline (cluster)"


def figures(
    *,
    results: Path,
    runs: int,
    seconds: float,
    connections: int,
    failover_runs: int,
    residents: int,
    console: Console,
) -> tuple[list[Figure], dict[str, object]]:
    """Returns the cluster's figures and the raw failover records (for the JSON)."""
    root = bench_root("cluster")
    cluster = LocalCluster(root, apps=2)
    out: list[Figure] = []
    try:
        console.print("cluster: starting etcd ×3, Patroni ×3, HAProxy ×2, app ×2 …")
        cluster.up(demo_residents=residents)
        apps = cluster.app_urls()
        url = cluster.database_url()
        token = login(apps[0])
        console.print("cluster: issuance with signed PDFs …")
        pdf = issue_load(apps, token, url, runs=runs, seconds=seconds, connections=connections)
        out += issuance_figures(SECTION, pdf, baseline=None)
        console.print("cluster: commit rate without rendering, and pgbench …")
        plain = issue_load(
            apps, token, url, runs=runs, seconds=seconds, connections=connections, accept="json"
        )
        row = issuance_row_bytes(url)
        clients = 2 * connections
        pg = [pgbench_rate(url, row, seconds=seconds, clients=clients) for _ in range(runs)]
        out += ratio_figures(
            DATABASE,
            baseline_name=f"pgbench, {clients} clients, 1 insert of {row:,} B",
            baseline=pg,
            minwon=plain,
        )
        console.print("cluster: fault scenarios under load …")
        records = failover.measure(
            cluster,
            Path(root),
            runs=failover_runs,
            faults=["F3", "F6", "F7", "F2a", "F2b"],
            console=console,
        )
        out += failover.figures(records)
        _, rows = failover.summary(records)
        failover.write(records, rows, results)
    finally:
        cluster.down()
    return out, {"failover_summary": rows}
