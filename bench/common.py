"""What every benchmark shares: figures, a served Minwon, wrk as the load generator.

A figure is the median of several runs, with their min and max, and names the baseline
measured beside it in the same run. Load comes from wrk (C, from Debian), not from
Python, so the client costs the two cores as little as possible; its Lua scripts print
one JSON line that this module reads.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from rich.table import Table
from sqlalchemy import Engine, create_engine, text

from minwon.demo import DEMO_PASSWORD
from minwon.operations.processes import free_port, stop_pid

HOST = "127.0.0.1"
BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
LUA = BENCH / "lua"
MINWON = str(Path(sys.executable).parent / "minwon")


class BenchError(RuntimeError):
    """A benchmark could not run or saw a wrong result (lost or duplicated documents)."""


@dataclass
class Figure:
    """One measured quantity: the runs, and how it compares with its target."""

    section: str
    name: str
    unit: str
    runs: list[float]
    higher_is_better: bool = True
    baseline: str | None = None  # the figure it is compared with, measured in the same run
    target: float | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def low(self) -> float:
        return min(self.runs)

    @property
    def high(self) -> float:
        return max(self.runs)

    @property
    def met(self) -> bool | None:
        """Whether the median meets the target (None when there is no target)."""
        if self.target is None:
            return None
        return self.median >= self.target if self.higher_is_better else self.median <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'≥' if self.higher_is_better else '≤'} {self.target:g} {self.unit}"

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data.update(median=self.median, min=self.low, max=self.high, met=self.met)
        return data


def fmt(value: float) -> str:
    """Formats a figure with sensible precision."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


# ----- wrk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: completed requests, failures and latency percentiles (ms)."""

    requests: int
    failed: int  # non-2xx/3xx answers, timeouts and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def ok(self) -> int:
        return self.requests - self.failed

    @property
    def rate(self) -> float:
        return self.ok / self.seconds


def require(binary: str, package: str) -> str:
    """Returns the path of ``binary``; raises BenchError naming the package if it is missing."""
    path = shutil.which(binary) or (binary if os.access(binary, os.X_OK) else None)
    if path is None:
        raise BenchError(f"{binary} is missing: apt-get install {package} (make setup does it)")
    return path


def wrk(
    base: str, args: Sequence[str], *, seconds: float, connections: int, threads: int = 2
) -> WrkResult:
    """Runs wrk with bench/lua/load.lua against ``base`` and returns its result."""
    command = [
        require("wrk", "wrk"),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "15s",
        "-s",
        str(LUA / "load.lua"),
        base,
        "--",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith('{"wrk"')),
        None,
    )
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"wrk failed ({done.returncode}): {done.stdout[-800:]}{done.stderr[-800:]}"
        )
    data = json.loads(line)
    errors = data["errors"]
    return WrkResult(
        requests=int(data["requests"]),
        failed=int(errors["status"] + errors["timeout"] + errors["read"] + errors["write"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
    )


def wrk_together(
    bases: Sequence[str], args: Sequence[str], *, seconds: float, connections: int
) -> list[WrkResult]:
    """Runs one wrk per base URL at the same time (the cluster's app instances)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(bases)) as pool:
        futures = [
            pool.submit(
                wrk, base, [*args, str(n)], seconds=seconds, connections=connections, threads=1
            )
            for n, base in enumerate(bases)
        ]
        return [f.result() for f in futures]


# ----- a served Minwon on SQLite ---------------------------------------------------------


def bench_root(name: str) -> Path:
    """Returns a fresh folder for a benchmark's data (under /var/tmp, not root's home)."""
    return Path(tempfile.mkdtemp(prefix=f"minwon-bench-{name}-", dir="/var/tmp"))


def minwon_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """Returns an environment for ``minwon`` commands on ``data_dir`` (SQLite)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINWON_")}
    env.update(MINWON_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", COLUMNS="120")
    # One client address makes all the load: the per-address limits would stop it. The
    # counting itself still happens (rates.py), so its cost is in the figures.
    env.update(MINWON_VERIFY_RATE_PER_MINUTE="1000000000", MINWON_LOGIN_RATE_PER_MINUTE="1000")
    env.update({f"MINWON_{k.upper()}": v for k, v in settings.items()})
    return env


def run_minwon(env: dict[str, str], *args: str, timeout: float = 1800) -> float:
    """Runs a ``minwon`` command and returns its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [MINWON, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise BenchError(
            f"minwon {' '.join(args)} failed: {done.stdout[-600:]}{done.stderr[-600:]}"
        )
    return time.perf_counter() - started


@dataclass(frozen=True)
class Served:
    base: str
    data_dir: Path
    env: dict[str, str]

    def login(self, username: str = "citizen1") -> str:
        return login(self.base, username)


def login(base: str, username: str = "citizen1", kind: str = "citizen") -> str:
    """Returns a bearer token for a demo account."""
    response = httpx.post(
        f"{base}/api/v1/auth/{kind}",
        json={"username": username, "password": DEMO_PASSWORD},
        timeout=30,
    )
    if response.status_code != 200:
        raise BenchError(f"login failed: {response.status_code} {response.text[:300]}")
    return str(response.json()["token"])


@contextmanager
def served(data_dir: Path, env: dict[str, str], *, workers: int = 2) -> Iterator[Served]:
    """Serves ``data_dir`` with ``minwon serve`` on a free loopback port; stops it by PID."""
    port = free_port(HOST)
    base = f"http://{HOST}:{port}"
    log = (data_dir / "serve.log").open("ab")
    process = subprocess.Popen(
        [MINWON, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
        env={**env, "MINWON_PUBLIC_BASE_URL": base},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise BenchError(f"minwon serve exited; see {data_dir / 'serve.log'}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"minwon serve did not get ready; see {data_dir / 'serve.log'}")
            time.sleep(0.2)
        yield Served(base=base, data_dir=data_dir, env=env)
    finally:
        # uvicorn's supervisor stops its workers on SIGTERM.
        stop_pid(process.pid, timeout=20)
        log.close()


def prepared(name: str, residents: int) -> tuple[Path, dict[str, str], float]:
    """Returns a data folder with keys, schema and a registry, and the registry's load time."""
    data_dir = bench_root(name)
    env = minwon_env(data_dir)
    run_minwon(env, "init")
    seconds = run_minwon(env, "demo-data", "--residents", str(residents), "--seed", "1")
    return data_dir, env, seconds


# ----- correctness after load -------------------------------------------------------------


def _tally(engine: Engine, pattern: str) -> tuple[int, int, int]:
    # One statement, so one snapshot: requests still finishing cannot skew the counts.
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT i.request_ref), count(f.issuance_id)"
                " FROM issuances i LEFT JOIN fees f ON f.issuance_id = i.id"
                " WHERE i.request_ref LIKE :p"
            ),
            {"p": pattern},
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def check_issued(database_url: str, tag: str, acknowledged: int) -> dict[str, int]:
    """Returns recorded/lost/duplicated for the issuances a run tagged ``tag`` acknowledged.

    Every acknowledged document must be in the database once, with one fee: a benchmark
    that lost or doubled documents would be measuring the wrong thing (`make bench` then
    exits non-zero). Requests wrk gave up on at the end of its run may still be finishing
    on the server, so this waits until the count stops moving.
    """
    engine = create_engine(database_url)
    pattern = f"%|bench-{tag}-%"
    try:
        counts = _tally(engine, pattern)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.5)
            again = _tally(engine, pattern)
            if again == counts:
                break
            counts = again
    finally:
        engine.dispose()
    recorded, keys, fees = counts
    result = {
        "acknowledged": acknowledged,
        "recorded": recorded,
        # More recorded than acknowledged is fine (answers wrk stopped waiting for);
        # fewer is a lost document.
        "lost": max(0, acknowledged - recorded),
        "duplicated": recorded - keys,  # two issuances for one idempotency key
        "unpaid": recorded - fees,  # an issuance without its one fee
    }
    if result["lost"] or result["duplicated"] or result["unpaid"]:
        # Reported, not raised: the run goes on so every figure is printed, and exits 1.
        print(f"ISSUANCE RUN {tag} IS WRONG: {result}")
    return result


def table(figures: list[Figure]) -> Table:
    """Returns every figure in one table, grouped by section."""
    t = Table(title="Minwon benchmarks — median of runs (min–max); baselines from the same run")
    for column in ("section", "measure", "median", "min–max", "unit", "vs baseline", "target", ""):
        t.add_column(column, justify="right" if column in ("median", "min–max") else "left")
    last = None
    for f in figures:
        # The baseline is the figure of that name in the same unit (docs/s beside docs/s).
        base = next((b for b in figures if b.name == f.baseline and b.unit == f.unit), None)
        versus = ""
        if base is not None and base.median:
            versus = f"{f.median / base.median:.2f}× {base.name}"
        t.add_row(
            f.section if f.section != last else "",
            f.name,
            fmt(f.median),
            f"{fmt(f.low)}–{fmt(f.high)}" if len(f.runs) > 1 else "",
            f.unit,
            versus,
            f.target_text,
            {True: "[green]met[/]", False: "[red]not met[/]", None: ""}[f.met],
            end_section=False,
        )
        last = f.section
    return t
