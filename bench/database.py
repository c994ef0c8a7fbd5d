"""The database alone: plain inserts of an issuance-sized row, at the same durability.

On SQLite, a loop of one-row transactions in the same WAL file mode and synchronous=FULL
that Minwon uses. On the cluster, pgbench with a custom one-insert script, through the
same HAProxy path and the same synchronous replication the app's commits wait for. Both
sit beside Minwon's issuance commit rate without rendering (Accept: application/json),
so the ratio says how much of the database's capacity an issuance's work uses.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import BenchError, Figure, require
from bench.http_load import LoadRuns

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def issuance_row_bytes(database_url: str) -> int:
    """Returns the average stored size of an issuance row (its snapshot dominates)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        size = conn.execute(
            # The sealed snapshot and hash, plus ~200 bytes for the other columns.
            text("SELECT avg(length(snapshot_sealed) + length(content_hash) + 200) FROM issuances")
        ).scalar()
    engine.dispose()
    return int(size or 2000)


def sqlite_insert_rate(path: Path, row_bytes: int, seconds: float) -> float:
    """Returns one-row transactions per second into a fresh table of ``path``'s database."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    table = f"bench_rows_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    count, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"INSERT INTO {table} VALUES (?, ?)",
            (uuid.uuid4().hex, os.urandom(row_bytes // 2).hex()),
        )
        conn.execute("COMMIT")
        count += 1
    elapsed = time.perf_counter() - started
    conn.execute(f"DROP TABLE {table}")
    conn.close()
    return count / elapsed


def _first_host(database_url: str) -> tuple[str, str]:
    """Returns host and port of a URL, or of the first ``host=h:p`` of a multi-host one."""
    url = make_url(database_url)
    hosts = url.query.get("host")
    if hosts:
        first = hosts if isinstance(hosts, str) else hosts[0]
        host, _, port = first.partition(":")
        return host, port or "5432"
    return url.host or "127.0.0.1", str(url.port or 5432)


def pgbench_rate(database_url: str, row_bytes: int, *, seconds: float, clients: int) -> float:
    """Returns pgbench's tps for one-insert transactions of ``row_bytes`` through
    ``database_url``'s first host (a HAProxy path to the primary)."""
    binary = require(PGBENCH, "postgresql-15")
    url = make_url(database_url)
    host, port = _first_host(database_url)
    admin = create_engine(database_url)
    table = f"bench_rows_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (id text PRIMARY KEY, body text NOT NULL)"))
    script = Path(f"/var/tmp/{table}.sql")
    # Random text of the row's size: repeated md5s would compress to nothing in TOAST.
    pieces = " || ".join(["md5(random()::text)"] * max(1, row_bytes // 32))
    script.write_text(
        f"INSERT INTO {table} VALUES (md5(random()::text || clock_timestamp()::text), {pieces});\n",
        encoding="ascii",
    )
    env = {**os.environ, "PGPASSWORD": url.password or "", "PGCONNECT_TIMEOUT": "5"}
    try:
        done = subprocess.run(
            [binary, "-n", "-h", host, "-p", port, "-U", url.username or "", "-c", str(clients),
             "-j", "2", "-T", str(int(seconds)), "-f", str(script), url.database or ""],
            env=env, capture_output=True, text=True, timeout=seconds + 60, check=False,
        )  # fmt: skip
    finally:
        script.unlink(missing_ok=True)
        with admin.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        admin.dispose()
    found = re.search(r"tps = ([0-9.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise BenchError(f"pgbench failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    return float(found.group(1))


def ratio_figures(
    section: str, *, baseline_name: str, baseline: list[float], minwon: LoadRuns
) -> list[Figure]:
    """Returns the database's plain rate, Minwon's commit rate beside it, and their ratio."""
    ratio = [m / b for m, b in zip(minwon.rates, baseline, strict=True)]
    return [
        Figure(section, baseline_name, "tx/s", baseline),
        Figure(
            section,
            "Minwon issuance commits (PDF made and stored)",
            "docs/s",
            minwon.rates,
            baseline=baseline_name,
            note="per document: claim, read, write (issuance, fee, audit, key), sign, store PDF",
            extra=dict(minwon.tally()),
        ),
        Figure(section, "Minwon ÷ baseline", "×", ratio, note="per run, same durability"),
    ]
