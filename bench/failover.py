"""Failover figures: each fault scenario several times under load, on a real local cluster.

Prints min/median/max of the longest gap without an acknowledged issuance per fault,
with lost and duplicated totals, and Minwon's Patroni/HAProxy settings beside the
defaults; writes bench/results/failover.json. Run: `make bench-failover`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.spec import MINWON_TUNED, PATRONI_DEFAULTS
from minwon.operations.scenarios import FAULTS, ScenarioRecord, run_scenario
from minwon.registry.demo_data import DEMO_PASSWORD

TARGETS = {
    "F2a": "≤ 3 s",
    "F2b": "≤ ttl + 2 s",
    "F3": "≤ 2 s",
    "F6": "≤ 2 s",
    "F7": "no gap",
}
RESULTS = Path(__file__).resolve().parent / "results"


def _settings_table() -> Table:
    table = Table(title="Patroni / HAProxy settings: Minwon vs defaults")
    table.add_column("setting")
    table.add_column("default")
    table.add_column("Minwon")
    for key in MINWON_TUNED:
        table.add_row(key, str(PATRONI_DEFAULTS.get(key, "-")), str(MINWON_TUNED[key]))
    return table


def _summary(records: dict[str, list[ScenarioRecord]]) -> tuple[Table, list[dict[str, object]]]:
    table = Table(title="Failover under issuance load (gap = longest time without an ack)")
    for column in (
        "fault",
        "runs",
        "gap min",
        "gap median",
        "gap max",
        "target",
        "acked",
        "lost",
        "dup",
        "healed",
    ):
        table.add_column(column, justify="right" if column not in ("fault", "target") else "left")
    rows = []
    for fault, runs in records.items():
        gaps = [r.gap_seconds for r in runs]
        row = {
            "fault": fault,
            "title": FAULTS[fault].title,
            "runs": len(runs),
            "gap_min": min(gaps),
            "gap_median": statistics.median(gaps),
            "gap_max": max(gaps),
            "target": TARGETS[fault],
            "acknowledged": sum(r.acknowledged for r in runs),
            "lost": sum(r.lost for r in runs),
            "duplicated": sum(r.duplicated for r in runs),
            "healed": all(r.healed for r in runs),
        }
        rows.append(row)
        table.add_row(
            fault,
            str(len(runs)),
            f"{row['gap_min']:.2f}",
            f"{row['gap_median']:.2f}",
            f"{row['gap_max']:.2f}",
            TARGETS[fault],
            str(row["acknowledged"]),
            str(row["lost"]),
            str(row["duplicated"]),
            "yes" if row["healed"] else "NO",
        )
    return table, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--faults", default="F3,F6,F7,F2a,F2b")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    console = Console()
    console.print(_settings_table())
    root = Path(tempfile.mkdtemp(prefix="minwon-bench-failover-", dir="/var/tmp"))
    cluster = LocalCluster(root, apps=2)
    records: dict[str, list[ScenarioRecord]] = {}
    try:
        cluster.up(demo_residents=300)
        journal = KeyJournal(root / "login.sqlite3")
        token = RetryingClient(cluster.app_urls(), journal).login(
            "citizen", "citizen1", DEMO_PASSWORD
        )
        for run in range(args.runs):
            for fault in args.faults.split(","):
                record = run_scenario(
                    cluster,
                    FAULTS[fault],
                    token=token,
                    journal_dir=root / f"journals-{fault}-{run}",
                    workers=args.workers,
                )
                console.print(
                    f"run {run + 1} {fault}: gap {record.gap_seconds:.2f} s, "
                    f"acked {record.acknowledged}, lost {record.lost}, dup {record.duplicated}"
                )
                records.setdefault(fault, []).append(record)
    finally:
        cluster.down()
    table, rows = _summary(records)
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "failover.json"
    out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": {"minwon": MINWON_TUNED, "defaults": PATRONI_DEFAULTS},
                "summary": rows,
                "runs": {f: [asdict(r) for r in rs] for f, rs in records.items()},
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    console.print(f"written: {out}")
    bad = [r for r in rows if r["lost"] or r["duplicated"] or not r["healed"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
