"""Is the canary worse than the stable instances? Pure judgement over served traffic.

The canary fails at once on clear evidence: a few server errors at a rate well above the
stable instances', or answers much slower than theirs. It passes only with enough live
requests of its own and nothing against it; until then the verdict is to wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minwon.operations.release.ports import Traffic


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIT = "wait"  # not enough traffic yet to say


@dataclass(frozen=True)
class Thresholds:
    """When a canary fails or passes (defaults: issuance takes ~50 ms here)."""

    min_requests: int = 20  # live requests the canary answers before it can pass
    min_errors: int = 3  # fewer server errors never fail it (one can be bad luck)
    error_rate_margin: float = 0.02  # its error rate may exceed the stable one by this
    latency_factor: float = 2.0  # ...and its mean latency be this many times theirs
    latency_slack_seconds: float = 0.1  # plus this much


@dataclass(frozen=True)
class Judgement:
    """A verdict, why (Korean, for the release record) and a stable code."""

    verdict: Verdict
    code: str
    reason: str


def _rate(t: Traffic) -> float:
    return t.errors / t.requests if t.requests else 0.0


def _mean(t: Traffic) -> float:
    return t.seconds / t.requests if t.requests else 0.0


def judge(canary: Traffic, stable: Traffic, limits: Thresholds | None = None) -> Judgement:
    """Returns the canary's verdict from the traffic both served in the same window."""
    limits = limits or Thresholds()
    if canary.errors >= limits.min_errors and _rate(canary) > _rate(stable) + (
        limits.error_rate_margin
    ):
        return Judgement(
            Verdict.FAIL,
            "canary.errors",
            f"카나리아의 서버 오류율 {_rate(canary):.0%} ({canary.errors}/{canary.requests})가 "
            f"안정 인스턴스의 {_rate(stable):.0%}보다 높습니다",
        )
    if canary.requests < limits.min_requests:
        return Judgement(
            Verdict.WAIT,
            "canary.too_little_traffic",
            f"카나리아가 받은 요청이 아직 {canary.requests}건입니다 "
            f"(판단에 {limits.min_requests}건 필요)",
        )
    slow = _mean(stable) * limits.latency_factor + limits.latency_slack_seconds
    if stable.requests >= limits.min_requests and _mean(canary) > slow:
        return Judgement(
            Verdict.FAIL,
            "canary.slow",
            f"카나리아의 평균 응답 {_mean(canary) * 1000:.0f} ms가 안정 인스턴스의 "
            f"{_mean(stable) * 1000:.0f} ms보다 훨씬 깁니다",
        )
    return Judgement(
        Verdict.PASS,
        "canary.healthy",
        f"카나리아 요청 {canary.requests}건, 서버 오류 {canary.errors}건, 평균 "
        f"{_mean(canary) * 1000:.0f} ms (안정 인스턴스 {stable.requests}건, 오류 "
        f"{stable.errors}건, 평균 {_mean(stable) * 1000:.0f} ms)",
    )
