"""This checkout against another, in one sitting: the service probe, alternating.

A change must not slow issuance or verification by more than 10 %, and the machine's own
speed drifts up to 2× in a day, so the two commits are measured turn about (A B A B …)
with ``bench/service_probe.py``, each in its own interpreter and virtual environment.

    git worktree add /tmp/before HEAD~1 && make -C /tmp/before setup
    .venv/bin/python -m bench.paired --against /tmp/before --rounds 6

Prints a table (median of rounds, min–max, this ÷ that) and writes paired.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import RESULTS, Figure

PROBE = Path(__file__).resolve().parent / "service_probe.py"
MEASURES = (("issue_ms", "issuance (PDF made and stored)"), ("verify_ms", "verification"))


def _probe(python: str, checkout: Path, issuances: int) -> dict[str, float]:
    done = subprocess.run(
        [python, str(PROBE), str(issuances)],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the probe failed in {checkout}:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--issuances", type=int, default=400)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    sides = {
        "this": (sys.executable, here),
        "that": (str(args.against / ".venv" / "bin" / "python"), args.against.resolve()),
    }
    runs: dict[str, dict[str, list[float]]] = {s: {m: [] for m, _ in MEASURES} for s in sides}
    console = Console(width=160)
    for n in range(args.rounds):
        for side, (python, checkout) in sides.items():
            result = _probe(python, checkout, args.issuances)
            for measure, _ in MEASURES:
                runs[side][measure].append(result[measure])
            console.print(f"round {n + 1} {side}: {result}")
    table = Table(title=f"this ({here}) against that ({args.against}), ms per call")
    for column in ("measure", "this", "min–max", "that", "min–max", "this ÷ that"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    figures: list[Figure] = []
    for measure, name in MEASURES:
        this = Figure("paired", f"{name} (this)", "ms", runs["this"][measure], False)
        that = Figure("paired", f"{name} (that)", "ms", runs["that"][measure], False)
        figures += [this, that]
        table.add_row(
            name,
            f"{this.median:.3f}",
            f"{this.low:.3f}–{this.high:.3f}",
            f"{that.median:.3f}",
            f"{that.low:.3f}–{that.high:.3f}",
            f"{this.median / that.median:.3f}",
        )
    console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "paired.json"
    body: dict[str, object] = {
        "this": str(here),
        "that": str(args.against),
        "runs": runs,
        "figures": [f.as_json() for f in figures],
    }
    out.write_text(json.dumps(body, ensure_ascii=False, indent=2), "utf-8")
    console.print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
