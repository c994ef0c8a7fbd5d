"""Rendering and signing one page, with nothing else: the baseline for issuance.

"plain" is the same page (same snapshot, template and layout) made the way the libraries
make it by default: PyYAML's pure-Python parser, reportlab's markup parser for every cell
and a font subset made and compressed per document, segno scoring all eight QR masks,
a path object per QR rectangle, and pyHanko estimating the signature's size by signing a
dummy and building the CMS container per document. Each step then switches on one of
Minwon's once-per-process shortcuts, so the table shows what each one is worth.

Every measurement runs in fresh processes (spawned), so no step inherits another's
caches: "ms/doc" is CPU time of one process; "docs/s" runs two processes on the two
cores for a fixed time.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Figure

# Cumulative: each step keeps the ones before it. The last one is Minwon as shipped.
STEPS = [
    "plain libraries",
    "+ C YAML parser",
    "+ fixed QR mask",
    "+ QR as literal operators",
    "+ cells as strings, no parser",
    "+ font subsets kept",
    "+ CMS template, reserved room",
]
MINWON = STEPS[-1]
PLAIN = STEPS[0]


@dataclass(frozen=True)
class Page:
    """Everything a process needs to make the page: the frozen snapshot and the keys."""

    snapshot: dict[str, Any]
    template: str
    qr_text: str
    token: str
    keys_dir: str


def _draw_qr_with_path_object(canvas: Any, qr: Any, x: float, y: float, size: float) -> None:
    """Draws the QR modules through reportlab's path object, one rectangle per run."""
    from reportlab.lib import colors

    matrix = qr.matrix
    module = size / (len(matrix) + 8)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (r + 5) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + (start + 4) * module, top, (c - start) * module, module, 0, 1)


def _configure(step: str) -> Callable[[Page], bytes]:
    """Sets the rendering modules up as of ``step`` and returns a make-the-page function."""
    import yaml
    from reportlab.platypus import Paragraph

    from minwon.rendering import fonts, layout, pdf, templating
    from minwon.rendering.keys import load_keys
    from minwon.rendering.signing import PdfSigner

    level = STEPS.index(step)
    if level < STEPS.index("+ C YAML parser"):
        templating._YAML_LOADER = yaml.SafeLoader
    if level < STEPS.index("+ fixed QR mask"):
        pdf.QR_MASK = None  # type: ignore[assignment]
    if level < STEPS.index("+ QR as literal operators"):
        pdf._draw_qr = _draw_qr_with_path_object
    if level < STEPS.index("+ cells as strings, no parser"):
        from xml.sax.saxutils import escape

        def parsed(value: object, style: Any) -> Any:
            return Paragraph(escape(layout._text(value)).replace("\n", "<br/>"), style)

        layout._para = parsed
        layout._cell = lambda value, style, width: parsed(value, style)
    if level < STEPS.index("+ font subsets kept"):
        fonts._KeepingSubsets.adopt = classmethod(lambda cls, face: face)  # type: ignore[assignment]
    signer: PdfSigner | None = None

    def make(page: Page) -> bytes:
        nonlocal signer
        if signer is None:
            signer = PdfSigner(load_keys(Path(page.keys_dir)))
        unsigned = pdf.render_pdf(
            page.snapshot, template=page.template, qr_text=page.qr_text, token=page.token
        )
        if level < STEPS.index("+ CMS template, reserved room"):
            return signer.sign_plainly(unsigned)
        return signer.sign(unsigned)

    return make


def _cpu_ms_per_doc(step: str, page: Page, docs: int) -> float:
    make = _configure(step)
    for _ in range(5):  # fonts, templates, keys: first-use costs are not per document
        make(page)
    started = time.process_time()
    for _ in range(docs):
        make(page)
    return (time.process_time() - started) / docs * 1000


_start: Any = None  # docs_per_second's barrier, in each of its processes
START_TIMEOUT = 120.0  # seconds for every process to warm up before a BrokenBarrierError


def _keep_start(barrier: Any) -> None:
    global _start
    _start = barrier


def _docs_in(step: str, page: Page, seconds: float) -> int:
    make = _configure(step)
    for _ in range(5):
        make(page)
    # Once every process has warmed up, all count over the same `seconds`: a fixed start
    # time would make a process that warmed up late count over less, or nothing.
    _start.wait(START_TIMEOUT)
    deadline, count = time.time() + seconds, 0
    while time.time() < deadline:
        make(page)
        count += 1
    return count


def _spawned() -> Any:
    return mp.get_context("spawn")


def cpu_ms_per_doc(step: str, page: Page, docs: int = 40) -> float:
    """Returns one process's CPU milliseconds per signed page at ``step``."""
    with _spawned().Pool(1) as pool:
        return float(pool.apply(_cpu_ms_per_doc, (step, page, docs)))


def docs_per_second(step: str, page: Page, seconds: float, processes: int = 2) -> float:
    """Returns signed pages per second from ``processes`` processes working together."""
    context = _spawned()
    start = context.Barrier(processes)
    with context.Pool(processes, initializer=_keep_start, initargs=(start,)) as pool:
        counts = pool.starmap(_docs_in, [(step, page, seconds)] * processes)
    return float(sum(counts)) / seconds


def figures(page: Page, *, runs: int, seconds: float, docs: int = 40) -> list[Figure]:
    """Returns the render section: each step's CPU cost, and plain vs Minwon throughput."""
    out: list[Figure] = []
    for step in STEPS:
        values = [cpu_ms_per_doc(step, page, docs) for _ in range(runs)]
        out.append(
            Figure(
                "render+sign, 1 process",
                step,
                "ms/doc",
                values,
                higher_is_better=False,
                baseline=None if step == PLAIN else PLAIN,
            )
        )
    for step in (PLAIN, MINWON):
        values = [docs_per_second(step, page, seconds) for _ in range(runs)]
        out.append(
            Figure(
                "render+sign, 2 processes",
                step,
                "docs/s",
                values,
                baseline=None if step == PLAIN else PLAIN,
                note="the baseline for issuance: same page, nothing else",
            )
        )
    plain = statistics.median(out[0].runs)
    minwon = statistics.median(out[len(STEPS) - 1].runs)
    out[len(STEPS) - 1].extra["speedup_vs_plain"] = plain / minwon
    return out
