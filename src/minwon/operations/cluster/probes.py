"""Reading the running parts: Patroni's REST API, etcd's health, HAProxy paths, apps.

Patroni's ``GET /cluster`` gives the members; etcd's ``GET /health`` its members; each
HAProxy path is checked the way the app uses it (a PostgreSQL session that must not be in
recovery); each app answers ``GET /readyz``; the leader's ``pg_stat_replication`` says
which replicas it really streams to and when each last replied. Nothing here changes
anything.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import httpx
import psycopg

from minwon.operations import plain_http
from minwon.operations.cluster.spec import (
    ClusterSpec,
    Credentials,
    EtcdMember,
    HAProxyInstance,
    PatroniNode,
)
from minwon.operations.cluster.status import (
    AppStatus,
    ClusterStatus,
    EtcdStatus,
    HAProxyStatus,
    MemberStatus,
    parse_members,
)

T = TypeVar("T")
R = TypeVar("R")


def fetch_cluster(spec: ClusterSpec, timeout: float = 1.0) -> dict[str, Any] | None:
    """Returns Patroni's ``GET /cluster`` from the first node that answers, else None."""
    for node in spec.nodes:
        try:
            response = plain_http.get(f"{node.rest_url}/cluster", timeout=timeout)
            if response.status_code == 200:
                data: dict[str, Any] = response.json()
                return data
        except (httpx.HTTPError, ValueError):
            continue
    return None


def failsafe_active(node: PatroniNode, timeout: float = 1.0) -> bool:
    """Returns True when a member's ``GET /patroni`` says failsafe mode is active."""
    try:
        response = plain_http.get(f"{node.rest_url}/patroni", timeout=timeout)
        return bool(response.json().get("failsafe_mode_is_active", False))
    except (httpx.HTTPError, ValueError):
        return False


def etcd_healthy(member: EtcdMember, timeout: float = 1.0) -> bool:
    """Returns True if the member answers ``GET /health`` with ``"health": "true"``."""
    try:
        response = plain_http.get(f"{member.client_url}/health", timeout=timeout)
        return response.status_code == 200 and str(response.json().get("health")) == "true"
    except (httpx.HTTPError, ValueError):
        return False


def reaches_primary(
    spec: ClusterSpec,
    proxy: HAProxyInstance,
    credentials: Credentials,
    timeout: int = 1,
    *,
    port: int | None = None,
) -> bool:
    """Returns True if a session through `proxy` (at `port`: another of its listeners,
    a standby site's link) lands on a node not in recovery."""
    try:
        with psycopg.connect(
            host=proxy.host,
            port=port or proxy.port,
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


def app_ready(url: str, timeout: float = 2.0, *, path: str = "/readyz") -> bool:
    """Returns True if the app answers ``GET /readyz`` (or `path`) with 200."""
    try:
        return plain_http.get(f"{url}{path}", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def following(members: tuple[MemberStatus, ...]) -> bool:
    """Returns True while these members are a standby site's (a standby leader follows
    the primary site): its apps wait, its paths lead to the other site, nobody is sync."""
    return any(m.role == "standby_leader" for m in members)


def path_ready(spec: ClusterSpec, proxy: HAProxyInstance, credentials: Credentials) -> bool:
    """Returns True if the path leads to a primary: its own site's, or for a standby site
    not promoted (or not started) yet, the primary site's over the link, which its leader
    streams from."""
    if spec.standby is not None and not promoted(spec):
        return reaches_primary(spec, proxy, credentials, port=spec.standby.link_port)
    return reaches_primary(spec, proxy, credentials)


def promoted(spec: ClusterSpec) -> bool:
    """Returns True if a member of the site leads as a primary (a standby site: once
    promoted; before its Patroni runs, False)."""
    return any(m.role == "leader" for m in parse_members(fetch_cluster(spec) or {}))


def replication_ready(spec: ClusterSpec) -> bool:
    """Returns True once Patroni reports 1 running leader, all replicas streaming, 1 sync."""
    raw = fetch_cluster(spec)
    if raw is None:
        return False
    members = parse_members(raw)
    streaming = [m for m in members if not m.is_leader and m.state == "streaming"]
    if following(members):  # a standby site: its leader streams from the primary site
        leaders = [m for m in members if m.is_leader and m.state == "streaming"]
        return len(leaders) == 1 and len(streaming) == len(spec.nodes) - 1
    leaders = [m for m in members if m.is_leader and m.state == "running"]
    return (
        len(leaders) == 1 and len(streaming) == len(spec.nodes) - 1 and any(m.sync for m in members)
    )


@dataclass(frozen=True)
class WalSender:
    """One row of the primary's ``pg_stat_replication``: a replica it streams to."""

    name: str  # application_name: Patroni sets it to the member's name
    state: str
    reply_age_seconds: float | None  # since the replica's last status reply


def as_superuser(
    spec: ClusterSpec,
    credentials: Credentials,
    node: PatroniNode,
    *,
    connect_timeout: int = 2,
    statement_timeout_ms: int | None = None,
    dbname: str = "postgres",
) -> psycopg.Connection[Any]:
    """Returns an autocommit connection to `node`'s PostgreSQL as the cluster's superuser
    (who sees every column of the statistics views), bounded by the given timeouts."""
    options = (
        None if statement_timeout_ms is None else f"-c statement_timeout={statement_timeout_ms}"
    )
    return psycopg.connect(
        host=node.host,
        port=node.pg_port,
        user=spec.superuser,
        password=credentials.superuser_password,
        dbname=dbname,
        connect_timeout=connect_timeout,
        autocommit=True,
        options=options,
    )


def walsenders(
    spec: ClusterSpec, credentials: Credentials, leader: str, timeout: int = 1
) -> list[WalSender] | None:
    """Returns the leader's ``pg_stat_replication`` rows (as the superuser, who sees every
    column), or None if the leader's PostgreSQL does not answer within `timeout`."""
    node = spec.node(leader)
    try:
        with as_superuser(
            spec, credentials, node, connect_timeout=timeout, statement_timeout_ms=timeout * 1000
        ) as conn:
            rows = conn.execute(
                "SELECT application_name, state,"
                " EXTRACT(EPOCH FROM clock_timestamp() - reply_time)::float8"
                " FROM pg_stat_replication"
            ).fetchall()
    except psycopg.Error:
        return None
    return [WalSender(str(name), str(state), age) for name, state, age in rows]


def with_walsenders(
    members: tuple[MemberStatus, ...], senders: list[WalSender] | None
) -> tuple[MemberStatus, ...]:
    """Returns `members` with what the primary's walsenders say of each replica."""
    if senders is None:
        return members
    by_name = {s.name: s for s in senders if s.state == "streaming"}
    return tuple(
        m
        if m.is_leader
        else replace(
            m,
            attached=m.name in by_name,
            reply_age_seconds=(
                round(age, 3)
                if m.name in by_name and (age := by_name[m.name].reply_age_seconds) is not None
                else None
            ),
        )
        for m in members
    )


def answers_new_connection(node: PatroniNode, timeout: int = 1) -> bool:
    """Returns False only if `node`'s PostgreSQL did not answer a new connection within
    `timeout` (a hung postmaster); any answer, an error included, is True."""
    try:
        with psycopg.connect(
            host=node.host, port=node.pg_port, dbname="postgres", connect_timeout=timeout
        ):
            return True
    except psycopg.OperationalError as exc:
        return "timeout expired" not in str(exc)


def _parallel(fn: Callable[[T], R], items: tuple[T, ...]) -> list[R]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(fn, items))


def _standby_site_status(
    spec: ClusterSpec,
    credentials: Credentials,
    members: tuple[MemberStatus, ...],
    etcd: list[EtcdStatus],
) -> ClusterStatus:
    # A standby site's paths are healthy when its link reaches the primary site, and its
    # apps when they answer at all: no database here takes writes until the promotion.
    assert spec.standby is not None
    link = spec.standby.link_port
    proxies = _parallel(
        lambda p: HAProxyStatus(p.name, link, reaches_primary(spec, p, credentials, port=link)),
        spec.haproxies,
    )
    apps = _parallel(
        lambda a: AppStatus(a.name, a.url, app_ready(a.url, path="/healthz")), spec.apps
    )
    return ClusterStatus(
        members=members,
        etcd=tuple(etcd),
        haproxy=tuple(proxies),
        apps=tuple(apps),
        expected_members=len(spec.nodes),
        following=True,
    )


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
        if spec.standby is not None and following(members):
            return _standby_site_status(spec, credentials, members, etcd.result())
        leaders = [m.name for m in members if m.is_leader and m.state == "running"]
        if len(leaders) == 1:
            answers = pool.submit(answers_new_connection, spec.node(leaders[0]))
            members = with_walsenders(members, walsenders(spec, credentials, leaders[0]))
            members = tuple(
                replace(m, accepts_connections=answers.result()) if m.is_leader else m
                for m in members
            )
        return ClusterStatus(
            members=members,
            etcd=tuple(etcd.result()),
            haproxy=tuple(proxies.result()),
            apps=tuple(apps.result()),
            expected_members=len(spec.nodes),
        )
