"""Who may read what only operators may: ``/metrics``.

A request is let in when its client address (as ``edge.TrustedProxies`` resolved it) is in
one of the configured operator networks, or when it carries ``Authorization: Bearer``
with the configured token (compared in constant time). Anyone else gets a 403 problem
that says how to get in, and nothing of the exposition.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import Request

Network = IPv4Network | IPv6Network


def from_operator(request: Request, networks: Iterable[Network], token: str) -> bool:
    """Returns True if `request` comes from an operator network or carries the token."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    host = request.client.host if request.client else ""
    try:
        address = ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return any((mapped or address) in network for network in networks)
