"""Plain HTTP to the cluster's own parts: Patroni's REST API, etcd, the apps' health.

``httpx.get`` builds a new client, and with it a TLS context that loads the whole CA
bundle, on every call: about 20 ms of CPU for a request that itself costs 0.1 ms. The
supervisor, the guards and the incident watcher probe every half second, so that was most
of what they cost (the watcher alone used 40 % of a core). Here one client serves every
thread (httpx clients are thread-safe), with no TLS context to load and no proxy from the
environment, and with no kept-alive connection: each probe opens its own, as before, so a
part that died or hung is seen exactly as it was without the shared client.

Only ``http://`` addresses: the parts speak plain HTTP on their own ports (loopback here,
the cluster network on real hosts). An ``https://`` address is refused rather than sent
unverified.
"""

from __future__ import annotations

from typing import Any

import httpx

_CLIENT = httpx.Client(
    verify=False,  # never used: https:// is refused below
    trust_env=False,
    limits=httpx.Limits(max_keepalive_connections=0),
)


def request(method: str, url: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
    """Sends one request to a plain-HTTP part of the cluster (ValueError for https)."""
    if not url.startswith("http://"):
        raise ValueError(f"plain HTTP only: {url.split('/')[0]}")
    return _CLIENT.request(method, url, timeout=timeout, **kwargs)


def get(url: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
    """GET `url` (see ``request``)."""
    return request("GET", url, timeout=timeout, **kwargs)


def post(url: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
    """POST to `url` (see ``request``)."""
    return request("POST", url, timeout=timeout, **kwargs)


def patch(url: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
    """PATCH `url` (see ``request``)."""
    return request("PATCH", url, timeout=timeout, **kwargs)
