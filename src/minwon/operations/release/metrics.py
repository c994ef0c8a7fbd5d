"""What an instance has served, read from its Prometheus ``/metrics`` (web/app.py).

Every route counts but the operational ones (health checks, the balancers' path echo,
metrics scrapes): those are not what citizens, clerks and kiosks send. Routes are
labelled by their template as the router sees it (``/issuances``, without the API
prefix). A server error is a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from minwon.operations.release.ports import Traffic

REQUESTS = "minwon_http_requests"  # the counter's family name (without _total)
LATENCY = "minwon_http_request_seconds"
OPERATIONAL = frozenset({"/healthz", "/healthz/echo", "/readyz", "/metrics"})


def parse_traffic(text: str) -> Traffic:
    """Returns the traffic of people in a ``/metrics`` exposition (not health checks)."""
    requests = errors = 0
    seconds = 0.0
    for family in text_string_to_metric_families(text):
        if family.name not in (REQUESTS, LATENCY):
            continue
        for sample in family.samples:
            if sample.labels.get("route", "") in OPERATIONAL:
                continue
            if sample.name == f"{REQUESTS}_total":
                count = int(sample.value)
                requests += count
                if sample.labels.get("status", "").startswith("5"):
                    errors += count
            elif sample.name == f"{LATENCY}_sum":
                seconds += sample.value
    return Traffic(requests, errors, seconds)


class MetricsObserver:
    """Implements ``ports.Observer`` by scraping each instance's ``/metrics``."""

    def __init__(
        self, url_of: Callable[[str], str], timeout: float = 1.0, *, token: str = ""
    ) -> None:
        self._url_of = url_of
        # From another host than the instance's, /metrics needs the operator token.
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)

    def traffic(self, instance: str) -> Traffic | None:
        """Returns the instance's cumulative API traffic, None if it does not answer."""
        try:
            answer = self._http.get(f"{self._url_of(instance)}/metrics")
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        return parse_traffic(answer.text)

    def close(self) -> None:
        """Closes the connections."""
        self._http.close()
