"""The per-channel part of ``/metrics``: requests, latency, the issuance gap, open incidents.

The process-wide families (``minwon_http_*``) live in prometheus_client's default registry;
these belong to one app (its recorder, its database), so each app renders its own registry
after them (web/app.py). Alert rules over them: data/minwon-alerts.yml.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from minwon.operations.availability.recorder import ChannelRecorder
from minwon.operations.availability.traffic import LATENCY_BOUNDS_MS
from minwon.operations.incidents.store import IncidentStore

INCIDENTS_CACHE_SECONDS = 5.0
MAX_OPEN_COUNTED = 10_000  # more open incidents than this are shown as this many
UNREADABLE = -1.0

GAP_HELP = (
    "Seconds this instance has gone without issuing: 0 while its latest issuance attempt "
    "succeeded (or it had none); after a failed attempt (5xx or no answer) the seconds since "
    "its last successful issuance, or since its first failed attempt if it never issued. "
    "Refusals (4xx) do not count as attempts."
)
INCIDENTS_HELP = (
    "Incidents open in the incidents table (minwon ops watch), read at most every 5 s; "
    "-1 when the table cannot be read."
)


class OpenIncidents:
    """The number of open incidents, read through the store at most once per `ttl`."""

    def __init__(
        self,
        store: IncidentStore,
        *,
        ttl: float = INCIDENTS_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._ttl, self._clock = store, ttl, clock
        self._lock = threading.Lock()
        self._value = UNREADABLE
        self._read_at: float | None = None

    def count(self) -> float:
        """Returns the open incidents (cached), or -1 when the store could not be read."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._ttl:
                try:
                    self._value = float(
                        len(self._store.records(limit=MAX_OPEN_COUNTED, open_only=True))
                    )
                except Exception:  # no table, no database: said as -1, never a failed scrape
                    self._value = UNREADABLE
                self._read_at = now
            return self._value


class ChannelMetrics(Collector):
    """Collects the app's per-channel families from its recorder and open incidents."""

    def __init__(self, recorder: ChannelRecorder, incidents: OpenIncidents | None) -> None:
        self._recorder = recorder
        self._incidents = incidents

    def collect(self) -> Iterator[Metric]:
        totals = self._recorder.totals()
        requests = CounterMetricFamily(
            "minwon_channel_requests",
            "Requests per channel (counter, kiosk, online, verification): outcome ok "
            "(answered below 500) or failed (5xx or no answer).",
            labels=["channel", "outcome"],
        )
        duration = HistogramMetricFamily(
            "minwon_channel_request_duration_seconds",
            "Time to answer a request, per channel.",
            labels=["channel"],
        )
        bounds = [f"{ms / 1000:g}" for ms in LATENCY_BOUNDS_MS] + ["+Inf"]
        for channel, t in totals.items():
            requests.add_metric([channel, "ok"], t.ok)
            requests.add_metric([channel, "failed"], t.failed)
            running = 0
            buckets: list[tuple[str, float]] = []
            for bound, n in zip(bounds, t.buckets, strict=True):
                running += n
                buckets.append((bound, running))
            duration.add_metric([channel], buckets, sum_value=t.seconds)
        yield requests
        yield duration
        yield GaugeMetricFamily(
            "minwon_issuance_gap_seconds", GAP_HELP, value=self._recorder.issuance_gap()
        )
        if self._incidents is not None:
            yield GaugeMetricFamily(
                "minwon_incidents_open", INCIDENTS_HELP, value=self._incidents.count()
            )


def exposition(recorder: ChannelRecorder, incidents: OpenIncidents | None) -> Callable[[], bytes]:
    """Returns what renders the app's own families in the text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ChannelMetrics(recorder, incidents))
    return lambda: generate_latest(registry)
