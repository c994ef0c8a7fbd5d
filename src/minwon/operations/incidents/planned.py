"""A role change someone asked for: Patroni's ``failover`` key in etcd.

``POST /switchover`` (``minwon cluster switchover``) or ``POST /failover`` writes the
request to the cluster's ``failover`` key in etcd, and Patroni deletes it once the new
leader runs: a leader lost while the key names it is a planned switchover, not a fault.
The key is read through etcd's v3 JSON gateway, from the first member that answers.
"""

from __future__ import annotations

import base64
import json

import httpx

from minwon.operations import plain_http
from minwon.operations.cluster.spec import ClusterSpec


def failover_key(spec: ClusterSpec) -> str:
    """Returns the etcd key Patroni keeps a requested switchover or failover in."""
    return f"/{spec.namespace.strip('/')}/{spec.scope}/failover"


def requested_switchover(spec: ClusterSpec, timeout: float) -> dict[str, str] | None:
    """Returns the switchover or failover requested now ({"leader", "member"} as Patroni
    wrote them), {} if none is; None if no etcd member answered."""
    key = base64.b64encode(failover_key(spec).encode()).decode()
    for member in spec.etcd:
        try:
            response = plain_http.post(
                f"{member.client_url}/v3/kv/range", json={"key": key}, timeout=timeout
            )
            response.raise_for_status()
            kvs = response.json().get("kvs") or []
        except (httpx.HTTPError, ValueError):
            continue
        if not kvs:
            return {}
        try:
            value = json.loads(base64.b64decode(kvs[0].get("value", "")) or b"{}")
        except ValueError:
            return {"leader": "", "member": ""}  # a request Patroni wrote in another form
        if not isinstance(value, dict):
            return {"leader": "", "member": ""}
        return {"leader": str(value.get("leader", "")), "member": str(value.get("member", ""))}
    return None
