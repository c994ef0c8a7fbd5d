"""What the cluster looks like right now: immutable snapshots, read from the running parts.

Patroni's ``GET /cluster`` gives the members; etcd's ``GET /health`` its members; each
HAProxy path is checked the way the app uses it (a PostgreSQL session that must not be in
recovery); each app answers ``GET /readyz``. Nothing here changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

import httpx
import psycopg

from minwon.operations.cluster.spec import (
    MAX_HEALTHY_LAG_BYTES,
    ClusterSpec,
    Credentials,
    EtcdMember,
    HAProxyInstance,
    PatroniNode,
)

SYNC_ROLES = frozenset({"sync_standby", "quorum_standby"})
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class MemberStatus:
    """One Patroni member as its REST API reports it."""

    name: str
    role: str
    state: str
    timeline: int | None
    lag_bytes: int | None
    sync: bool
    failsafe_active: bool = False

    @property
    def is_leader(self) -> bool:
        return self.role in ("leader", "standby_leader")


@dataclass(frozen=True)
class EtcdStatus:
    name: str
    url: str
    healthy: bool


@dataclass(frozen=True)
class HAProxyStatus:
    name: str
    port: int
    reaches_primary: bool


@dataclass(frozen=True)
class AppStatus:
    name: str
    url: str
    ready: bool


@dataclass(frozen=True)
class ClusterStatus:
    """A snapshot of every part; ``healthy`` only if all of it is as it should be."""

    members: tuple[MemberStatus, ...]
    etcd: tuple[EtcdStatus, ...]
    haproxy: tuple[HAProxyStatus, ...]
    apps: tuple[AppStatus, ...]
    expected_members: int

    @property
    def leader(self) -> str | None:
        leaders = [m.name for m in self.members if m.is_leader]
        return leaders[0] if len(leaders) == 1 else None

    @property
    def problems(self) -> list[str]:
        """Returns what is wrong, one sentence each; empty when healthy."""
        found: list[str] = []
        leaders = [m for m in self.members if m.is_leader]
        if len(leaders) != 1:
            found.append(f"{len(leaders)} leaders (expected exactly 1)")
        if len(self.members) != self.expected_members:
            found.append(f"{len(self.members)} of {self.expected_members} members reported")
        for m in self.members:
            if m.is_leader and m.state != "running":
                found.append(f"leader {m.name} is {m.state}")
            if not m.is_leader and m.state != "streaming":
                found.append(f"replica {m.name} is {m.state}, not streaming")
            if not m.is_leader and (m.lag_bytes is None or m.lag_bytes > MAX_HEALTHY_LAG_BYTES):
                found.append(f"replica {m.name} lag is {m.lag_bytes} bytes")
            if m.failsafe_active:
                # Set while etcd was unreachable and kept for a ttl after: replicas follow
                # the old primary and will not race for the lock, so no failover can happen.
                found.append(f"{m.name} is still in failsafe mode after a DCS outage")
        if not any(m.sync for m in self.members):
            found.append("no synchronous standby")
        found += [f"etcd {e.name} unhealthy" for e in self.etcd if not e.healthy]
        found += [
            f"haproxy {h.name} (port {h.port}) does not reach the primary"
            for h in self.haproxy
            if not h.reaches_primary
        ]
        found += [f"app {a.name} ({a.url}) not ready" for a in self.apps if not a.ready]
        return found

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(leader=self.leader, healthy=self.healthy, problems=self.problems)
        return data


def parse_members(cluster: dict[str, Any]) -> tuple[MemberStatus, ...]:
    """Returns the members of a Patroni ``GET /cluster`` answer, sorted by name."""
    members = []
    for raw in cluster.get("members", []):
        lag = raw.get("lag")
        timeline = raw.get("timeline")
        members.append(
            MemberStatus(
                name=str(raw["name"]),
                role=str(raw.get("role", "unknown")),
                state=str(raw.get("state", "unknown")),
                timeline=timeline if isinstance(timeline, int) else None,
                lag_bytes=lag if isinstance(lag, int) else (0 if _is_leader(raw) else None),
                sync=raw.get("role") in SYNC_ROLES,
            )
        )
    return tuple(sorted(members, key=lambda m: m.name))


def _is_leader(raw: dict[str, Any]) -> bool:
    return raw.get("role") in ("leader", "standby_leader")


def fetch_cluster(spec: ClusterSpec, timeout: float = 1.0) -> dict[str, Any] | None:
    """Returns Patroni's ``GET /cluster`` from the first node that answers, else None."""
    for node in spec.nodes:
        try:
            response = httpx.get(f"{node.rest_url}/cluster", timeout=timeout)
            if response.status_code == 200:
                data: dict[str, Any] = response.json()
                return data
        except (httpx.HTTPError, ValueError):
            continue
    return None


def failsafe_active(node: PatroniNode, timeout: float = 1.0) -> bool:
    """Returns True when a member's ``GET /patroni`` says failsafe mode is active."""
    try:
        response = httpx.get(f"{node.rest_url}/patroni", timeout=timeout)
        return bool(response.json().get("failsafe_mode_is_active", False))
    except (httpx.HTTPError, ValueError):
        return False


def etcd_healthy(member: EtcdMember, timeout: float = 1.0) -> bool:
    """Returns True if the member answers ``GET /health`` with ``"health": "true"``."""
    try:
        response = httpx.get(f"{member.client_url}/health", timeout=timeout)
        return response.status_code == 200 and str(response.json().get("health")) == "true"
    except (httpx.HTTPError, ValueError):
        return False


def reaches_primary(
    spec: ClusterSpec, proxy: HAProxyInstance, credentials: Credentials, timeout: int = 1
) -> bool:
    """Returns True if a session through `proxy` lands on a node not in recovery."""
    try:
        with psycopg.connect(
            host=proxy.host,
            port=proxy.port,
            user=spec.app_user,
            password=credentials.app_password,
            dbname=spec.app_database,
            connect_timeout=timeout,
            autocommit=True,
        ) as conn:
            row = conn.execute("SELECT NOT pg_is_in_recovery()").fetchone()
            return bool(row and row[0])
    except psycopg.Error:
        return False


def app_ready(url: str, timeout: float = 2.0) -> bool:
    """Returns True if the app answers ``GET /readyz`` with 200."""
    try:
        return httpx.get(f"{url}/readyz", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _parallel(fn: Callable[[T], R], items: tuple[T, ...]) -> list[R]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(fn, items))


def collect_status(spec: ClusterSpec, credentials: Credentials) -> ClusterStatus:
    """Returns a snapshot of every part of the cluster `spec` describes (reads only)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        cluster = pool.submit(fetch_cluster, spec)
        etcd = pool.submit(
            _parallel,
            lambda m: EtcdStatus(m.name, m.client_url, etcd_healthy(m)),
            spec.etcd,
        )
        proxies = pool.submit(
            _parallel,
            lambda p: HAProxyStatus(p.name, p.port, reaches_primary(spec, p, credentials)),
            spec.haproxies,
        )
        apps = pool.submit(
            _parallel,
            lambda a: AppStatus(a.name, a.url, app_ready(a.url)),
            spec.apps,
        )
        failsafe = pool.submit(_parallel, failsafe_active, spec.nodes)
        raw = cluster.result()
        active = {n.name for n, on in zip(spec.nodes, failsafe.result(), strict=True) if on}
        members = tuple(
            replace(m, failsafe_active=m.name in active)
            for m in (parse_members(raw) if raw else ())
        )
        return ClusterStatus(
            members=members,
            etcd=tuple(etcd.result()),
            haproxy=tuple(proxies.result()),
            apps=tuple(apps.result()),
            expected_members=len(spec.nodes),
        )
