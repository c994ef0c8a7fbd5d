"""The scale curve: the same issuance and lookup against registries of growing size.

An issuance reads one household, one person's addresses and their seals and taxes, by
index; a lookup reads one row by its number. Neither should cost more as the registry
grows, and this section shows whether that holds, with each registry's load time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.common import Figure, prepared, served
from bench.http_load import issue_load, issued_numbers, verify_load


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'minwon.sqlite3'}"


def point(
    residents: int, *, runs: int, seconds: float, warmup: tuple[float, float] = (3.0, 2.0)
) -> list[Figure]:
    """Returns load time, issuance and lookup latency for a registry of ``residents``
    (after `warmup` seconds of issuance and of lookups)."""
    data_dir, env, loaded = prepared(f"scale-{residents}", residents)
    try:
        url = sqlite_url(data_dir)
        with served(data_dir, env) as app:
            token = app.login()
            # Two clients: latency of work that waits for little but itself.
            issued = issue_load(
                [app.base],
                token,
                url,
                runs=runs,
                seconds=seconds,
                connections=2,
                warmup=warmup[0],
            )
            numbers = issued_numbers(url, data_dir / "numbers.txt")
            looked_up = verify_load(
                app.base, numbers, runs=runs, seconds=seconds, connections=4, warmup=warmup[1]
            )
        size = (data_dir / "minwon.sqlite3").stat().st_size
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    section = "scale curve (SQLite)"
    label = f"{residents:,} residents"
    return [
        Figure(section, f"{label}: demo-data load", "s", [loaded], False,
               extra={"database_bytes": size}),
        Figure(section, f"{label}: issuance p50", "ms", issued.p50, False),
        Figure(section, f"{label}: issuance p99", "ms", issued.p99, False),
        Figure(section, f"{label}: verification p50", "ms", looked_up.p50, False),
        Figure(section, f"{label}: verification p99", "ms", looked_up.p99, False),
    ]  # fmt: skip
