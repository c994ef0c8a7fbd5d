"""A planned leader change through Patroni's REST API (``POST /switchover``).

Where the time without an acknowledged issuance goes (under load: median 2.3-2.4 s,
1.5-3.3 s over 13 runs, against 4.2-4.8 s before issue 11): the old primary's fast
shutdown, 0.05-0.16 s (Patroni runs an immediate CHECKPOINT first, while commits still go
on, so one sent beforehand saved nothing measurable: 2.34 against 2.41 s median); then
2.05-2.14 s until Patroni releases the leader key, which its graceful demote does only
after polling pg_controldata once a second for "shut down" and a fixed one-second sleep
"to give replicas time" (ha.py ``demote``, postgresql ``STOP_POLLING_INTERVAL``), neither
configurable; then 0.12-0.18 s until the candidate has taken the key and promoted;
HAProxy and the app's retries add almost nothing since ``timeout connect`` and
``downinter`` are 250 ms (``tuning.py``).
"""

from __future__ import annotations

import httpx

from minwon.operations import plain_http
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.probes import fetch_cluster
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.status import parse_members


def request_switchover(
    spec: ClusterSpec, credentials: Credentials, *, old: str, candidate: str | None
) -> None:
    """Asks `old`'s Patroni to hand the leader role over; ClusterError if it refuses."""
    body: dict[str, str] = {"leader": old}
    if candidate:
        body["candidate"] = candidate
    try:
        response = plain_http.post(
            f"{spec.node(old).rest_url}/switchover",
            json=body,
            auth=(spec.rest_user, credentials.rest_password),
            timeout=60,
        )
    except httpx.HTTPError as exc:
        raise ClusterError(f"switchover request to {old} failed: {exc}") from exc
    if response.status_code != 200:
        sync = [m.name for m in parse_members(fetch_cluster(spec) or {}) if m.sync]
        raise ClusterError(
            f"Patroni refused the switchover ({response.status_code}): {response.text}"
            f" (in synchronous mode the candidate must be a sync standby: {sync})"
        )


def settled_leader(spec: ClusterSpec, *, old: str, candidate: str | None) -> str | None:
    """Returns the new leader once it runs and `old` streams from it; None before that."""
    members = {m.name: m for m in parse_members(fetch_cluster(spec) or {})}
    leaders = [m for m in members.values() if m.is_leader and m.state == "running"]
    if len(leaders) != 1 or leaders[0].name == old:
        return None
    if candidate and leaders[0].name != candidate:
        return None
    if old not in members or members[old].state != "streaming":
        return None
    return leaders[0].name
