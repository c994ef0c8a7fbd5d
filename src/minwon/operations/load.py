"""Steady issuance load through the real HTTP API, for fault scenarios and benchmarks."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
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
        self.result = LoadResult()

    def start(self) -> None:
        """Starts the worker threads."""
        for i in range(self._workers):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 120.0) -> LoadResult:
        """Stops issuing new requests and waits for the ones in flight to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
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


def longest_gap(acks: list[Ack], start: float, end: float) -> float:
    """Returns the longest stretch within [start, end] with no acknowledged issuance."""
    times = sorted(a.at for a in acks if start <= a.at <= end)
    edges = [start, *times, end]
    return max(b - a for a, b in itertools.pairwise(edges))
