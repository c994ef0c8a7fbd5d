"""The recovery drill at scale (``make bench-drill``; a section of ``make bench``).

A local Patroni cluster is loaded in bulk SQL (``INSERT … SELECT generate_series``, so no
row crosses the client) with N synthetic residents and one issuance each, its fee and
its ``issue`` audit event: names are made from two short lists of syllables, numbers are
digests of the row's index, so nobody's real data is anywhere. Then a full backup, then
two more batches of issuances a second apart with a few of the first batch voided after
TIME, and ``run_drill`` to TIME between the batches, several times. Beside it, measured
in the same run: the full backup, and a bare ``pgbackrest restore`` of the same backup
into a scratch folder (no replay, no proof) — what the drill costs above copying files.

``python -m bench.drill [--residents 1000000] [--runs 3]`` prints a table and writes
``bench/results/drill.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, create_engine, text

from bench.common import RESULTS, BenchError, Figure, bench_root, table
from minwon.operations.backup.drill import DrillReport, run_drill
from minwon.operations.backup.scratch import ScratchPostgres
from minwon.operations.cluster.drills import drill_parts, scratch_settings
from minwon.operations.cluster.local import LocalCluster

SECTION = "recovery drill (pgBackRest, Patroni ×3)"
TARGET_SECONDS = 30.0
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현우준하은도윤수아예린시후주원채다"
CHUNK = 250_000
BATCH = 1_000  # issuances in each batch after the backup
SERIES = "generate_series(CAST(:first AS int), CAST(:last AS int)) AS g"
SUBJECT = "'b' || (g % CAST(:residents AS int))"  # a loaded resident's id

RESIDENTS_SQL = f"""
INSERT INTO residents (id, rrn_digest, rrn_cipher, name, birth_date, sex, "foreign", alive,
                       household_id, probe)
SELECT 'b' || g, md5('bench-rrn-' || g), 'bench', substr(:surnames, 1 + g % 20, 1)
       || substr(:given, 1 + (g / 20) % 20, 1) || substr(:given, 1 + (g / 400) % 20, 1),
       date '1940-01-01' + (g % 25000), CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END,
       false, true, NULL, false
FROM {SERIES}
"""
ISSUANCES_SQL = f"""
INSERT INTO issuances (id, number, request_ref, document_type, subject_ref, requester_kind,
                       requester_ref, channel, office_code, issued_at, expires_at,
                       snapshot_sealed, content_hash, status, probe)
SELECT 'bi' || g, '8' || lpad(g::text, 15, '0'), 'bench|' || g, 'deungbon', {SUBJECT},
       'citizen', {SUBJECT}, 'online', '4511000000', now(),
       now() + interval '90 days', 'bench', md5('bench-doc-' || g), 'valid', false
FROM {SERIES}
"""
FEES_SQL = f"""
INSERT INTO fees (issuance_id, amount, channel, exemption, charged_at)
SELECT 'bi' || g, 0, 'online', NULL, now() FROM {SERIES}
"""
AUDIT_SQL = f"""
INSERT INTO audit_events (id, at, action, outcome, actor_kind, actor_id, channel,
                          office_code, subject_ref, document_type, purpose, issuance_id,
                          detail, seq, prev_hash, hash)
SELECT 'ba' || g, now(), 'issue', 'issued', 'citizen', {SUBJECT}, 'online',
       '4511000000', {SUBJECT}, 'deungbon', NULL, 'bi' || g, '{{}}',
       1000000000 + g, md5('bench-prev-' || g), md5('bench-audit-' || g)
FROM {SERIES}
"""
VOID_SQL = f"""
WITH voided AS (
  UPDATE issuances SET status = 'voided', voided_at = now(), void_reason = 'bench',
         voided_by = 'bench' WHERE id IN (SELECT 'bi' || g FROM {SERIES})
  RETURNING id)
INSERT INTO audit_events (id, at, action, outcome, actor_kind, actor_id, channel, issuance_id,
                          detail, seq, prev_hash, hash)
SELECT 'bv' || id, now(), 'void', 'voided', 'clerk', 'bench', 'counter', id, '{{}}',
       3000000000 + row_number() OVER (), md5('bench-void-' || id), md5('bench-v-' || id)
FROM voided
"""


def _issue(engine: Engine, first: int, last: int, residents: int) -> None:
    """Writes issuances first..last with their fees and audit events, in one transaction."""
    bounds = {"first": first, "last": last, "residents": residents}
    with engine.begin() as conn:
        conn.execute(text(ISSUANCES_SQL), bounds)
        conn.execute(text(FEES_SQL), {"first": first, "last": last})
        conn.execute(text(AUDIT_SQL), bounds)


def load(engine: Engine, residents: int, console: Console) -> float:
    """Loads `residents` residents with one issuance each; returns the seconds it took."""
    began = time.perf_counter()
    for first in range(1, residents + 1, CHUNK):
        last = min(first + CHUNK - 1, residents)
        with engine.begin() as conn:
            conn.execute(
                text(RESIDENTS_SQL),
                {"first": first, "last": last, "surnames": SURNAMES, "given": GIVEN},
            )
        _issue(engine, first, last, residents)
        console.print(f"drill: loaded {last:,} residents and issuances")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


def figures(
    *, residents: int, runs: int, console: Console
) -> tuple[list[Figure], dict[str, object]]:
    """Returns the drill's figures and the raw reports."""
    root = bench_root("drill")
    cluster = LocalCluster(root, apps=1)
    try:
        console.print(f"drill: starting a cluster, loading {residents:,} residents …")
        cluster.up(demo_residents=30)
        engine = create_engine(cluster.database_url())
        try:
            return _measure(cluster, engine, residents, runs, console)
        finally:
            engine.dispose()
    finally:
        cluster.down()
        shutil.rmtree(root, ignore_errors=True)


def _measure(
    cluster: LocalCluster, engine: Engine, residents: int, runs: int, console: Console
) -> tuple[list[Figure], dict[str, object]]:
    loaded = load(engine, residents, console)
    pgbackrest = cluster.pgbackrest()
    began = time.perf_counter()
    pgbackrest.backup("full")
    backup_seconds = time.perf_counter() - began
    backup = pgbackrest.info().latest()
    assert backup is not None
    console.print(f"drill: full backup {backup.label} in {backup_seconds:.1f} s")
    time.sleep(1.2)  # TIME a whole second after the backup ended
    _issue(engine, residents + 1, residents + BATCH, residents)
    time.sleep(0.5)
    target = datetime.now(UTC)
    time.sleep(0.5)
    with engine.begin() as conn:  # voided after TIME: valid in the copy
        conn.execute(text(VOID_SQL), {"first": residents + 1, "last": residents + 10})
    _issue(engine, residents + BATCH + 1, residents + 2 * BATCH, residents)
    reports: list[DrillReport] = []
    raw_restore: list[float] = []
    for run in range(runs):
        with ScratchPostgres(scratch_settings(cluster)) as scratch:
            began = time.perf_counter()
            scratch.restore(label=backup.label, target=target)
            raw_restore.append(time.perf_counter() - began)
        with drill_parts(cluster) as parts:
            report = run_drill(parts, target=target)
        console.print(
            f"drill {run + 1}/{runs}: {report.outcome} restore {report.restore_seconds} s, "
            f"replay {report.replay_seconds} s, prove {report.prove_seconds} s, "
            f"total {report.total_seconds} s"
        )
        if not report.passed:
            raise BenchError(f"the drill did not pass: {report.detail}")
        reports.append(report)
    issued = reports[0].proofs[0]
    scale = f"{residents:,} residents, {issued.expected:,} issuances before TIME"
    sizes = f"{backup.size / 2**20:.0f} MiB, {backup.repo_size / 2**20:.0f} MiB stored"

    def seconds(
        name: str,
        runs: list[float],
        *,
        baseline: str | None = None,
        target: float | None = None,
        note: str = "",
    ) -> Figure:
        return Figure(SECTION, name, "s", runs, False, baseline=baseline, target=target, note=note)

    out = [
        seconds("load (bulk SQL, sync replication)", [loaded]),
        seconds("full backup", [backup_seconds], note=sizes),
        seconds("bare pgbackrest restore (baseline)", raw_restore),
        seconds(
            "drill: restore",
            [r.restore_seconds or 0 for r in reports],
            baseline="bare pgbackrest restore (baseline)",
        ),
        seconds("drill: replay to TIME, promote", [r.replay_seconds or 0 for r in reports]),
        seconds("drill: prove (3 tables, live and copy)", [r.prove_seconds or 0 for r in reports]),
        seconds(
            "drill: total",
            [r.total_seconds or 0 for r in reports],
            target=TARGET_SECONDS,
            note=scale,
        ),
    ]
    return out, {"drill": [r.to_dict() for r in reports], "backup": backup.to_dict()}


def main() -> int:

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    console = Console(width=200)
    started = time.perf_counter()
    found, raw = figures(residents=args.residents, runs=args.runs, console=console)
    console.print(table(found))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "drill.json"
    meta = {"residents": args.residents, "runs": args.runs}
    body = {
        "meta": {**meta, "seconds": round(time.perf_counter() - started, 1)},
        "figures": [f.as_json() for f in found],
        **raw,
    }
    out.write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    console.print(f"written: {out}")
    return 0 if all(f.met is not False for f in found) else 1


if __name__ == "__main__":
    raise SystemExit(main())
