"""Promoting the second site: the checks first (fenced, lag known and small), then the one
change Patroni needs (``PATCH /config {"standby_cluster": null}``), then waiting until the
site takes writes through its own path.

``decide`` is pure: the same inputs always give the same verdict, and a refusal says what
the promotion would cost (its RPO in bytes and seconds) or why that is not known.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import httpx

from minwon.operations import plain_http
from minwon.operations.clock import wait_until
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.probes import fetch_cluster, reaches_primary
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.status import parse_members
from minwon.operations.dr.fence import FenceReport
from minwon.operations.dr.link import Lag

# A standby this far behind (or less) counts as caught up: nothing acknowledged is lost.
DEFAULT_MAX_LAG_BYTES = 0


@dataclass(frozen=True)
class Verdict:
    """Whether to promote, with a stable code and a sentence for the operator."""

    allowed: bool
    code: str
    detail: str
    rpo_bytes: int | None
    rpo_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        """Returns the verdict as JSON-ready values."""
        return asdict(self)


def _when(at: float | None) -> str:
    if at is None:
        return "한 번도"
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def decide(
    fence: FenceReport, lag: Lag, *, max_lag_bytes: int = DEFAULT_MAX_LAG_BYTES, accept_loss: bool
) -> Verdict:
    """Returns the verdict on promoting the second site (pure).

    Never while the primary site can take a write (not even with `accept_loss`: that
    makes two primaries, not a loss). A lag that is unknown or over `max_lag_bytes` is
    a loss of acknowledged data: refused unless `accept_loss`, and its size said.
    """
    if not fence.fenced:
        return Verdict(
            False,
            "dr.not_fenced",
            "주 사이트가 아직 쓰기를 받을 수 있어 승격하지 않습니다 (응답: "
            + ", ".join(fence.answering)
            + "). 주 사이트를 멈추거나(--fence) 경로와 앱을 막은 뒤 다시 하십시오.",
            None,
            None,
        )
    if not lag.known:
        detail = (
            "복제 지연을 알 수 없어 손실 규모(RPO)를 모릅니다: 주 사이트를 마지막으로 본 때 "
            f"{_when(lag.primary_seen_at)}"
            + (f", 그때 {lag.bytes} bytes 뒤처짐" if lag.bytes is not None else "")
            + "."
        )
        if accept_loss:
            return Verdict(True, "dr.loss_accepted", detail, lag.bytes, lag.seconds)
        return Verdict(
            False, "dr.lag_unknown", detail + " 감수하려면 --accept-loss", lag.bytes, lag.seconds
        )
    assert lag.bytes is not None
    if lag.bytes > max_lag_bytes:
        detail = (
            f"승격하면 확인된 쓰기 {lag.bytes} bytes(약 {lag.seconds or 0:.1f}초 분량)를 "
            f"잃습니다 (허용 {max_lag_bytes} bytes, 주 사이트를 마지막으로 본 때 "
            f"{_when(lag.primary_seen_at)})."
        )
        if accept_loss:
            return Verdict(True, "dr.loss_accepted", detail, lag.bytes, lag.seconds)
        return Verdict(
            False, "dr.lag_over", detail + " 감수하려면 --accept-loss", lag.bytes, lag.seconds
        )
    return Verdict(
        True,
        "dr.caught_up",
        f"주 사이트는 격리되었고, 마지막으로 본 위치까지 모두 받았습니다 ({lag.bytes} bytes 차이).",
        lag.bytes,
        lag.seconds,
    )


def request_promotion(spec: ClusterSpec, credentials: Credentials, timeout: float = 10) -> str:
    """Removes ``standby_cluster`` from the site's Patroni configuration (in its own etcd),
    asked of the first node that answers; returns that node's name."""
    errors: list[str] = []
    for node in spec.nodes:
        try:
            answer = plain_http.patch(
                f"{node.rest_url}/config",
                json={"standby_cluster": None},
                auth=(spec.rest_user, credentials.rest_password),
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            errors.append(f"{node.name}: {exc}")
            continue
        if answer.status_code == 200:
            return node.name
        errors.append(f"{node.name}: {answer.status_code} {answer.text[:200]}")
    raise ClusterError("Patroni가 승격 요청을 받지 않았습니다: " + "; ".join(errors))


def writable(spec: ClusterSpec, credentials: Credentials) -> bool:
    """Returns True once the site has a running leader (not a standby leader) and one of
    its own paths reaches it."""
    members = parse_members(fetch_cluster(spec) or {})
    if not any(m.role == "leader" and m.state == "running" for m in members):
        return False
    return any(reaches_primary(spec, p, credentials) for p in spec.haproxies)


def promote(spec: ClusterSpec, credentials: Credentials, *, timeout: float = 60) -> float:
    """Promotes the site and returns the seconds until it took writes through its path."""
    began = time.monotonic()
    request_promotion(spec, credentials)
    if not wait_until(lambda: writable(spec, credentials), timeout=timeout, interval=0.1):
        raise ClusterError(f"승격을 요청했지만 {timeout:.0f}초 안에 쓰기를 받지 못했습니다")
    return time.monotonic() - began
