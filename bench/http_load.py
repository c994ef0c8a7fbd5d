"""Issuance and verification over HTTP: real uvicorn, concurrent wrk clients.

Issuance requests the signed PDF (Accept: application/pdf), so each one costs the whole
path: session lookup, entitlement, the transaction (idempotency claim, issuance with its
snapshot, fee, audit), the page and both signatures. After every run the database must
hold each acknowledged document exactly once, with one fee.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import Figure, WrkResult, check_issued, wrk, wrk_together

_tags = itertools.count(1)


@dataclass
class LoadRuns:
    """Several wrk runs of one kind of load, summed over instances where there are several."""

    rates: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    failed: int = 0
    checks: list[dict[str, int]] = field(default_factory=list)

    def tally(self) -> dict[str, int]:
        """Returns acknowledged, lost, duplicated and unpaid over every run."""
        totals = {
            key: sum(c[key] for c in self.checks)
            for key in ("acknowledged", "lost", "duplicated", "unpaid")
        }
        return {**totals, "failed_requests": self.failed}

    def add(self, results: Sequence[WrkResult]) -> None:
        self.rates.append(sum(r.rate for r in results))
        # Several instances: the mean of their medians, the worst of their 99th percentiles.
        self.p50.append(statistics.fmean(r.p50_ms for r in results))
        self.p99.append(max(r.p99_ms for r in results))
        self.failed += sum(r.failed for r in results)


def issue_load(
    bases: Sequence[str],
    token: str,
    database_url: str,
    *,
    runs: int,
    seconds: float,
    connections: int,
    accept: str = "pdf",
    warmup: float = 3.0,
) -> LoadRuns:
    """Runs issuance load ``runs`` times (after `warmup` seconds of it) and checks every
    run's documents."""
    tag = f"w{next(_tags)}"
    wrk_together(bases, ["issue", token, tag, accept], seconds=warmup, connections=2)
    out = LoadRuns()
    for _ in range(runs):
        tag = f"r{next(_tags)}"
        results = wrk_together(
            bases, ["issue", token, tag, accept], seconds=seconds, connections=connections
        )
        out.add(results)
        out.checks.append(check_issued(database_url, tag, sum(r.ok for r in results)))
    return out


def verify_load(
    base: str,
    numbers_file: Path,
    *,
    runs: int,
    seconds: float,
    connections: int,
    warmup: float = 2.0,
) -> LoadRuns:
    """Runs verification lookups ``runs`` times after `warmup` seconds of them."""
    args = ["verify", str(numbers_file)]
    wrk(base, args, seconds=warmup, connections=connections)
    out = LoadRuns()
    for _ in range(runs):
        out.add([wrk(base, args, seconds=seconds, connections=connections)])
    return out


def issued_numbers(database_url: str, path: Path, limit: int = 2000) -> Path:
    """Writes the numbers of documents issued so far to ``path`` (one per line)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number FROM issuances LIMIT :n"), {"n": limit}).all()
    engine.dispose()
    if not rows:
        raise RuntimeError("no issued documents to verify")
    path.write_text("\n".join(r.number for r in rows) + "\n", encoding="ascii")
    return path


def issuance_figures(section: str, load: LoadRuns, *, baseline: str | None) -> list[Figure]:
    """Returns docs/s and latency figures for an issuance load."""
    return [
        Figure(
            section,
            "issuance, signed PDF",
            "docs/s",
            load.rates,
            baseline=baseline,
            target=100,
            extra=dict(load.tally()),
        ),
        Figure(section, "issuance p50", "ms", load.p50, higher_is_better=False),
        Figure(section, "issuance p99", "ms", load.p99, higher_is_better=False),
    ]


def verification_figures(section: str, load: LoadRuns) -> list[Figure]:
    """Returns lookups/s and latency figures for a verification load."""
    extra: dict[str, object] = {"failed_requests": load.failed}
    return [
        Figure(section, "verification", "req/s", load.rates, target=2000, extra=extra),
        Figure(section, "verification p50", "ms", load.p50, higher_is_better=False),
        Figure(section, "verification p99", "ms", load.p99, higher_is_better=False, target=20),
    ]
