"""`make bench`: every benchmark, one table, JSON and a chart.

Sections, in order: issuance and verification over HTTP on SQLite (real uvicorn, two
workers, wrk clients); rendering and signing the same page with nothing else (the
baseline, with Minwon's shortcuts one step at a time); SQLite's plain insert rate beside
Minwon's commit rate; the scale curve over registries of growing size; then, on a local
Patroni cluster, issuance, pgbench beside Minwon's commit rate, and the fault scenarios.

Writes bench/results/bench.json and bench/results/bench.png. BENCH_QUICK=1 (or --quick)
runs a smaller version for a try-out; the figures in bench/README.md come from a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from rich.console import Console

# The render section's processes are spawned, and a spawned process first imports the
# main module (this one) again: what only the parent needs (matplotlib for the chart, the
# cluster and its scenarios, the app's composition root) is imported where it is used,
# which spares each of those processes ~1.7 s of imports.
from bench import render, scale
from bench.common import RESULTS, Figure, prepared, served, table
from bench.database import issuance_row_bytes, ratio_figures, sqlite_insert_rate
from bench.http_load import (
    issuance_figures,
    issue_load,
    issued_numbers,
    verification_figures,
    verify_load,
)
from minwon.config import Settings
from minwon.rendering.qr_token import qr_url

SECTIONS = ("sqlite", "render", "scale", "cluster", "drill")
SQLITE = "issuance & verification (SQLite, 2 workers)"


@dataclass(frozen=True)
class Profile:
    runs: int
    seconds: float
    connections: int
    residents: int
    scale: tuple[int, ...]
    scale_seconds: float
    failover_runs: int
    cluster_residents: int
    render_docs: int = 40  # per CPU-time measurement
    warmup: tuple[float, float] = (3.0, 2.0)  # seconds of issuance, of lookups, before runs
    drill_residents: int = 1_000_000  # the recovery drill's registry (bench/drill.py)


FULL = Profile(3, 10, 8, 10_000, (10_000, 100_000, 1_000_000), 5, 3, 2_000)
QUICK = Profile(2, 4, 8, 2_000, (1_000, 5_000, 20_000), 3, 1, 500, drill_residents=100_000)
# For the test suite: every code path once, the figures meaningless.
SMOKE = Profile(
    1, 1, 2, 300, (300,), 1, 1, 300, render_docs=3, warmup=(1.0, 1.0), drill_residents=1_000
)


def _page(data_dir: Path, number: str) -> render.Page:
    """Returns a document issued over HTTP as the render benchmark's page (the same page)."""
    from minwon.bootstrap import bootstrap

    container = bootstrap(Settings.from_env(data_dir=data_dir))
    try:
        with container.uows(readonly=True) as uow:
            record = uow.issuances.by_number(number)
        assert record is not None
        document = container.catalog.get(record.document_type)
        assert document is not None
        token = container.renderer.token_for(record)
        return render.Page(
            snapshot=record.snapshot_data(),
            template=document.template,
            qr_text=qr_url(container.settings.public_base_url, token),
            token=token,
            keys_dir=str(container.settings.keys_dir),
        )
    finally:
        container.close()


def sqlite_and_render(p: Profile, console: Console) -> list[Figure]:
    """Returns the SQLite HTTP figures, the render baseline and the cost ratios."""
    data_dir, env, _ = prepared("sqlite", p.residents)
    url = scale.sqlite_url(data_dir)
    try:
        with served(data_dir, env) as app:
            token = app.login()
            console.print("sqlite: issuance with signed PDFs …")
            issued = issue_load(
                [app.base],
                token,
                url,
                runs=p.runs,
                seconds=p.seconds,
                connections=p.connections,
                warmup=p.warmup[0],
            )
            numbers = issued_numbers(url, data_dir / "numbers.txt")
            console.print("sqlite: verification lookups …")
            looked_up = verify_load(
                app.base,
                numbers,
                runs=p.runs,
                seconds=p.seconds,
                connections=p.connections,
                warmup=p.warmup[1],
            )
            console.print("sqlite: commits without rendering …")
            commits = issue_load(
                [app.base], token, url, runs=p.runs, seconds=p.seconds,
                connections=p.connections, accept="json", warmup=p.warmup[0],
            )  # fmt: skip
        page = _page(data_dir, numbers.read_text().split()[0])
        console.print("render: the same page, libraries only, step by step …")
        rendered = render.figures(page, runs=p.runs, seconds=p.seconds, docs=p.render_docs)
        console.print("sqlite: plain insert loop …")
        row = issuance_row_bytes(url)
        inserts = [
            sqlite_insert_rate(data_dir / "minwon.sqlite3", row, p.seconds) for _ in range(p.runs)
        ]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out = issuance_figures(SQLITE, issued, baseline=render.MINWON)
    out += verification_figures(SQLITE, looked_up)
    out += rendered
    out += _cost_ratios(issued.rates, rendered)
    out += ratio_figures(
        "database baseline (SQLite, WAL, synchronous=FULL)",
        baseline_name=f"insert loop, 1 row of {row:,} B per transaction",
        baseline=inserts,
        minwon=commits,
    )
    return out


def _cost_ratios(issuance_rates: list[float], rendered: list[Figure]) -> list[Figure]:
    """Returns a full issuance's cost per document against the render-only baselines."""
    rates = {f.name: f.median for f in rendered if f.unit == "docs/s"}
    issuance = statistics.median(issuance_rates)
    if issuance <= 0:  # nothing acknowledged in the window (a starved machine): no ratio
        return []
    section = "cost per document: full issuance ÷ render+sign only"
    return [
        Figure(section, f"÷ {name}", "×", [rate / issuance], higher_is_better=False, target=1.5)
        for name, rate in rates.items()
    ]


def _meta(profile: Profile, quick: bool, seconds: float) -> dict[str, object]:
    packages = ("reportlab", "pyhanko", "segno", "fastapi", "uvicorn", "sqlalchemy", "patroni")
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "profile": profile.__dict__,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "versions": {name: _version(name) for name in packages},
        "wall_seconds": round(seconds, 1),
    }


def _version(name: str) -> str | None:
    try:
        return version(name)
    except Exception:
        return None


def main() -> int:
    from bench import chart, cluster, drill, failover

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1"
    )
    parser.add_argument("--smoke", action="store_true", help="everything once, tiny (tests)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=",".join(SECTIONS))
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for JSON and PNG")
    args = parser.parse_args()
    profile = SMOKE if args.smoke else QUICK if args.quick else FULL
    wanted = set(args.sections.split(","))
    console = Console(width=200)
    started = time.perf_counter()
    figures: list[Figure] = []
    raw: dict[str, object] = {}
    if wanted & {"sqlite", "render"}:
        figures += sqlite_and_render(profile, console)
    if "scale" in wanted:
        for residents in profile.scale:
            console.print(f"scale: {residents:,} residents …")
            figures += scale.point(
                residents,
                runs=profile.runs,
                seconds=profile.scale_seconds,
                warmup=profile.warmup,
            )
    if "cluster" in wanted:
        found, raw = cluster.figures(
            results=args.out,
            runs=profile.runs,
            seconds=profile.seconds,
            connections=profile.connections,
            failover_runs=profile.failover_runs,
            residents=profile.cluster_residents,
            console=console,
        )
        figures += found
    if "drill" in wanted:
        console.print(f"drill: {profile.drill_residents:,} residents …")
        found, raw_drill = drill.figures(
            residents=profile.drill_residents, runs=profile.runs, console=console
        )
        figures += found
        raw.update(raw_drill)
    elapsed = time.perf_counter() - started
    console.print(failover.settings_table())
    console.print(table(figures))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "bench.json"
    out.write_text(
        json.dumps(
            {
                "meta": _meta(profile, args.quick or args.smoke, elapsed),
                "figures": [f.as_json() for f in figures],
                **raw,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    png = chart.draw(figures, args.out / "bench.png")
    console.print(f"written: {out}, {png} ({elapsed / 60:.1f} min)")
    wrong = [
        f
        for f in figures
        if f.extra.get("lost") or f.extra.get("duplicated") or f.extra.get("unpaid")
    ]
    for f in wrong:
        console.print(f"[red]{f.section} / {f.name}: {f.extra}[/]")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
