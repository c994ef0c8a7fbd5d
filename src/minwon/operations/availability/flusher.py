"""Writes an instance's minutes to the traffic log every few seconds, from a thread.

Started and stopped with the app (web/asgi.py). Each round writes what the recorder has
not written yet (the current minute again, as it grew); a round the database refuses
leaves everything in the recorder for the next one, so nothing counted is lost while the
database is away (up to the recorder's ``keep_seconds``) and nothing is counted twice (a
row replaces the one before). A clean stop writes once more.
"""

from __future__ import annotations

import threading

import structlog

from minwon.operations.availability.recorder import ChannelRecorder
from minwon.operations.availability.traffic import TrafficLog

LOG = structlog.get_logger("minwon.traffic")
FLUSH_SECONDS = 10.0


class TrafficFlusher:
    """A daemon thread that takes the recorder's unwritten minutes to the traffic log."""

    def __init__(
        self, recorder: ChannelRecorder, log: TrafficLog, *, interval: float = FLUSH_SECONDS
    ) -> None:
        if interval <= 0:
            raise ValueError("the interval between writes must be positive")
        self._recorder, self._log, self._interval = recorder, log, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic-flusher", daemon=True)
        self.writes = 0  # rounds the traffic log accepted
        self.failures = 0  # rounds it refused
        self._failing = False

    def start(self) -> TrafficFlusher:
        """Starts writing every ``interval`` seconds."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Stops the thread and writes what is left; returns whether that write succeeded."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return self.flush()

    def flush(self) -> bool:
        """Writes the unwritten minutes once; returns False if the traffic log refused."""
        minutes = self._recorder.unwritten()
        if not minutes:
            return True
        try:
            self._log.record(minutes)
        except Exception as exc:  # any adapter's failure: the minutes wait in memory
            self.failures += 1
            if not self._failing:  # one line when it starts failing, not one per round
                LOG.warning(
                    "traffic.write_failed", error=type(exc).__name__, held=self._recorder.held()
                )
            self._failing = True
            return False
        self._recorder.written(minutes)
        self.writes += 1
        if self._failing:
            LOG.info("traffic.write_resumed", minutes=len(minutes))
        self._failing = False
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
