"""A look that runs in a thread of its own, so that a slow answer never holds up the
watcher's rounds: the round takes whatever the prober last saw."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
PROBE_SECONDS = 0.5


@dataclass
class Prober(Generic[T]):
    """A daemon thread that runs `look` every `every` seconds and keeps the last answer
    with the wall time the look began."""

    name: str
    look: Callable[[], T]
    every: float = PROBE_SECONDS
    _latest: tuple[float, T] | None = None
    _taken: float = 0.0
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> None:
        """Starts looking."""
        self._thread = threading.Thread(target=self._run, name=f"probe-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops looking (after the look under way, if any)."""
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            began = time.time()
            # A probe that fails says nothing this time; the next one runs.
            with contextlib.suppress(Exception):
                self._latest = (began, self.look())
            self._stopping.wait(max(0.0, self.every - (time.time() - began)))

    def fresh(self) -> tuple[float, T] | None:
        """Returns the last answer if it is newer than the one returned before."""
        latest = self._latest
        if latest is None or latest[0] <= self._taken:
            return None
        self._taken = latest[0]
        return latest
