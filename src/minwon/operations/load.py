"""Steady issuance load through the real HTTP API, for fault scenarios and benchmarks."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minwon.client.journal import KeyJournal
from minwon.client.retrying import ClientError, GaveUp, RetryingClient


@dataclass(frozen=True, slots=True)
class Ack:
    """One acknowledged issuance: the server answered 200/201 with a number."""

    key: str
    number: str
    at: float  # time.monotonic() when the answer arrived
    attempts: int
    replayed: bool
    began: float | None = None  # time.monotonic() when the client first sent it
    endpoint: str = ""  # the endpoint that answered

    @property
    def seconds(self) -> float | None:
        """Returns how long the client waited for this answer, retries included."""
        return None if self.began is None else self.at - self.began


@dataclass
class LoadResult:
    """Everything a load acknowledged, and every request that finally failed."""

    acks: list[Ack] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # final errors: refusals, give-ups
    longest_gc_pause: float = 0.0  # seconds this process's collector stopped every worker


class FrozenHeap:
    """Keeps the measuring process's own garbage collector out of what a load measures.

    The load runs in a long-lived process (a test session holds millions of objects).
    Python's full collection scans every one of them with the GIL held, and no worker
    records an answer meanwhile: measured 0.5 s for one after the unit tests alone, 0.2 s
    under a load in a process of a million small objects, and a 3.2 s gap in a hung-
    standby scenario on the 2-core CI that nothing in the cluster explains. While
    running, what existed before is frozen (``gc.freeze``: collections scan only what
    the load allocates; 0.03 s at most in the same experiment) and the longest pause
    that remains is recorded, to be printed beside the load's gap."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._began = 0.0

    def start(self) -> None:
        gc.freeze()
        gc.callbacks.append(self._observe)

    def stop(self) -> None:
        if self._observe in gc.callbacks:
            gc.callbacks.remove(self._observe)
            gc.unfreeze()

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._began = now
        else:
            self.longest = max(self.longest, now - self._began)


class IssuanceLoad:
    """``workers`` threads, each issuing 등본 back to back with a retrying client."""

    def __init__(
        self,
        endpoints: list[str],
        token: str,
        journal_dir: Path,
        *,
        workers: int = 4,
        body: dict[str, Any] | None = None,
        attempt_timeout: float = 5.0,
        enter: Callable[[], None] | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._token = token
        self._journal_dir = journal_dir
        self._workers = workers
        self._body = body or {"document_type": "deungbon"}
        self._timeout = attempt_timeout
        self._enter = enter  # run first on each worker thread (e.g. join a namespace)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._heap = FrozenHeap()
        self.result = LoadResult()

    def start(self) -> None:
        """Starts the worker threads."""
        self._heap.start()
        for i in range(self._workers):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 120.0) -> LoadResult:
        """Stops issuing new requests and waits for the ones in flight to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._heap.stop()
        self.result.longest_gc_pause = round(self._heap.longest, 3)
        return self.result

    def acks_since(self, moment: float) -> int:
        """Returns how many issuances were acknowledged after monotonic time `moment`."""
        with self._lock:
            return sum(1 for a in self.result.acks if a.at > moment)

    def acknowledged(self) -> list[Ack]:
        """Returns the issuances acknowledged so far (a copy; the load goes on)."""
        with self._lock:
            return list(self.result.acks)

    def _run(self, worker: int) -> None:
        if self._enter is not None:
            try:
                self._enter()
            except Exception as exc:  # counted as a failure; this worker issues nothing
                with self._lock:
                    self.result.failures.append(f"worker {worker} could not start: {exc}")
                return
        journal = KeyJournal(self._journal_dir / f"worker-{worker}.sqlite3")
        # Each worker prefers a different endpoint, as kiosks spread over app instances do.
        endpoints = self._endpoints[worker:] + self._endpoints[:worker]
        client = RetryingClient(endpoints, journal, attempt_timeout=self._timeout)
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    issued = client.issue(self._token, self._body)
                except (ClientError, GaveUp) as exc:
                    with self._lock:
                        self.result.failures.append(str(exc))
                    continue
                ack = Ack(
                    issued.key,
                    issued.number,
                    time.monotonic(),
                    issued.attempts,
                    issued.replayed,
                    began,
                    issued.endpoint,
                )
                with self._lock:
                    self.result.acks.append(ack)
        finally:
            client.close()
            journal.close()


def longest_gap(times: Iterable[float], start: float, end: float) -> tuple[float, float]:
    """Returns the longest stretch within [start, end] without any of `times` (when
    issuances were acknowledged, or issued), and when it began."""
    edges = [start, *sorted(t for t in times if start <= t <= end), end]
    return max((b - a, a) for a, b in itertools.pairwise(edges))
