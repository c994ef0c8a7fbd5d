"""The watcher: ``minwon ops watch --root R``, started by ``minwon cluster up``.

Every round (0.5 s) it looks at the local cluster (``observe.py``), feeds the detector
and hands each incident that changed to a writer thread, which stores it in the database
or, while the database does not answer, in ``<root>/incidents.jsonl`` (merged into the
database by the first write that succeeds there). Storing never holds up a round. At
start it resumes the incidents the store says are open, so a watcher started again
neither duplicates nor loses one. Like the supervisor it logs a round that fails and
goes on; SIGTERM ends it between rounds, after the writer has stored what it was given.
It beats ``<root>/watch.beat`` every round (its readiness for ``up``).
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

from minwon.operations.incidents.conditions import Reading
from minwon.operations.incidents.detector import Detector
from minwon.operations.incidents.model import Incident, iso
from minwon.operations.incidents.store import DurableIncidents

ROUND_SECONDS = 0.5
BEAT_FILE = "watch.beat"
MERGE_EVERY = 5.0  # seconds between attempts to merge the journal when nothing changes


class Writer:
    """Stores incidents in a thread of its own: the newest version of each, in order."""

    def __init__(self, store: DurableIncidents, log: Callable[[str], None]) -> None:
        self.store = store
        self.log = log
        self._queue: queue.Queue[list[Incident] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="incident-writer", daemon=True)
        self._in_journal = False

    def start(self) -> None:
        """Starts the thread."""
        self._thread.start()

    def put(self, incidents: list[Incident]) -> None:
        """Queues incidents to store."""
        if incidents:
            self._queue.put(incidents)

    def close(self, timeout: float = 10.0) -> None:
        """Stores what is queued, then ends the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=MERGE_EVERY)
            except queue.Empty:
                self._merge()
                continue
            batch, done = ([] if first is None else first), first is None
            while not self._queue.empty():  # coalesce: several rounds' changes in one write
                more = self._queue.get_nowait()
                done = done or more is None
                batch += more or []
            latest = {i.id: i for i in batch}
            if latest:
                self._save(list(latest.values()))
            if done:
                return

    def _save(self, incidents: list[Incident]) -> None:
        try:
            stored = self.store.save(incidents)
        except Exception as exc:  # a writer that survives: the journal failing too
            self.log(f"could not store {len(incidents)} incident(s): {exc}")
            return
        if not stored and not self._in_journal:
            self.log(f"database unreachable: incidents go to {self.store.journal.path}")
        elif stored and self._in_journal:
            self.log("database answers again: journal merged")
        self._in_journal = not stored

    def _merge(self) -> None:
        if self.store.journal.empty:
            return
        try:
            merged = self.store.merge()
        except Exception:
            return
        if merged:
            self.log(f"journal merged into the database ({merged} entries)")
            self._in_journal = False


def describe(incident: Incident) -> str:
    """Returns one log line about an incident's state."""
    state = "opened" if incident.ended_at is None else "ended" if incident.is_open else "settled"
    parts = [
        f"incident {incident.id[:8]} {state}: {incident.component} {incident.cause.value}",
        f"({incident.cause_detail})" if incident.cause_detail else "",
        f"from {iso(incident.started_at)}",
    ]
    if incident.ended_at is not None:
        parts.append(f"to {iso(incident.ended_at)} ({incident.duration:.2f} s)")
    if incident.issuance_gap_seconds is not None:
        parts.append(f"issuance gap {incident.issuance_gap_seconds:.2f} s")
    if incident.also:
        parts.append(f"also {', '.join(incident.also)}")
    return " ".join(p for p in parts if p)


class Watcher:
    """Round after round: observe, detect, store."""

    def __init__(
        self,
        root: Path,
        store: DurableIncidents,
        observe: Callable[[float], tuple[list[Reading], dict[str, float], float | None]],
        *,
        interval: float = ROUND_SECONDS,
        out: TextIO | None = None,
        on_resume: Callable[[list[Incident]], None] | None = None,
    ) -> None:
        self.root = root
        self.interval = interval
        self.out = out or sys.stdout
        self.store = store
        self.observe = observe
        self.detector = Detector()
        self.writer = Writer(store, self.log)
        self._stopping = False
        self.on_resume = on_resume  # the observer takes over what it needs to know

    def log(self, message: str) -> None:
        """Writes one timestamped line to the watcher's log (its standard output)."""
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        print(f"{stamp} {message}", file=self.out, flush=True)

    def run(self) -> None:
        """Watches until SIGTERM/SIGINT."""

        def stop(signum: int, _: FrameType | None) -> None:
            self._stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        resumed = self.store.open_incidents()
        self.detector.resume(resumed)
        if self.on_resume is not None:
            self.on_resume(resumed)
        for incident in resumed:
            self.log(f"resumed open incident {incident.id[:8]}: {incident.component}")
        self.writer.start()
        self.log(f"watching {self.root} every {self.interval:g} s")
        while not self._stopping:
            began = time.monotonic()
            try:
                self.round()
            except Exception as exc:  # a loop that survives: log it, try again next round
                self.log(f"round failed: {type(exc).__name__}: {exc}")
            time.sleep(max(0.0, self.interval - (time.monotonic() - began)))
        self.writer.close()
        self.log("stopped (SIGTERM)")

    def round(self) -> None:
        """Looks once, detects, and queues what changed for storing."""
        (self.root / BEAT_FILE).touch()
        at = time.time()
        readings, issued, issued_at = self.observe(at)
        changed = self.detector.round(at, readings, issued, issued_at)
        for incident in changed:
            self.log(describe(incident))
        self.writer.put(changed)
