"""The benchmark's chart: one PNG with a panel per question the table answers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.common import Figure


def _where(f: Figure) -> str:
    """Returns a short tag for a figure's section (the same measure appears in several)."""
    for word in ("SQLite", "cluster", "render"):
        if word in f.section:
            return word
    return f.section.split()[0]


def _bars(ax: Axes, figures: list[Figure], title: str, unit: str, *, tagged: bool) -> None:
    if not figures:
        ax.set_visible(False)
        return
    names = [f"{f.name} ({_where(f)})" if tagged else f.name for f in figures]
    medians = [f.median for f in figures]
    errors = [[f.median - f.low for f in figures], [f.high - f.median for f in figures]]
    colors = ["#9aa5b1" if f.baseline is None and f.target is None else "#2b6cb0" for f in figures]
    ax.barh(names, medians, xerr=errors, color=colors, capsize=3)
    for f, y in zip(figures, range(len(figures)), strict=True):
        if f.target is not None:
            ax.plot([f.target, f.target], [y - 0.4, y + 0.4], color="#c53030", lw=2)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(unit)
    ax.tick_params(axis="y", labelsize=7)


def _scale(ax: Axes, figures: list[Figure]) -> None:
    points: dict[str, dict[int, float]] = {}
    for f in figures:
        label, _, what = f.name.partition(": ")
        if f.unit != "ms":
            continue
        residents = int(label.split()[0].replace(",", ""))
        points.setdefault(what, {})[residents] = f.median
    if not points:
        ax.set_visible(False)
        return
    for what, series in points.items():
        xs = sorted(series)
        ax.plot(xs, [series[x] for x in xs], marker="o", label=what)
    ax.set_xscale("log")
    ax.set_xlabel("residents in the registry")
    ax.set_ylabel("ms")
    ax.set_title("Latency against registry size (SQLite)", fontsize=10)
    ax.legend(fontsize=7)


def draw(figures: list[Figure], path: Path) -> Path:
    """Draws render steps, throughput, the scale curve and failover gaps into ``path``."""
    fig, axes = plt.subplots(2, 2, figsize=(15, 10))
    steps = [f for f in figures if f.section == "render+sign, 1 process"]
    rates = [f for f in figures if f.unit == "docs/s"]
    scale = [f for f in figures if f.section.startswith("scale curve")]
    gaps = [f for f in figures if f.section.startswith("failover")]
    _bars(
        axes[0][0],
        steps,
        "Render + sign one page, per step (lower is better)",
        "ms/doc",
        tagged=False,
    )
    _bars(axes[0][1], rates, "Documents per second on 2 cores (red: target)", "docs/s", tagged=True)
    _scale(axes[1][0], scale)
    _bars(axes[1][1], gaps, "Longest gap without an acknowledged issuance (red: target)", "s",
          tagged=False)  # fmt: skip
    fig.suptitle("Minwon benchmarks (median, whiskers min–max)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
