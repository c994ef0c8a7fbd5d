"""The promotion's checks, as an operator in a hurry would test them: every way to
promote too early must be refused, and the refusal must say what it would cost."""

from __future__ import annotations

from minwon.operations.dr.fence import FenceReport
from minwon.operations.dr.link import Lag, Sample, lag
from minwon.operations.dr.promotion import decide

FENCED = FenceReport(answering=(), checked=9, marked=False)
ALIVE = FenceReport(answering=("HAProxy 1 app path",), checked=9, marked=False)


def _lag(*, known: bool = True, behind: int | None = 0, seconds: float | None = 0.0) -> Lag:
    return Lag(known, behind, seconds, 100.0, 99.5, False)


def test_caught_up_and_fenced_promotes() -> None:
    verdict = decide(FENCED, _lag(), accept_loss=False)
    assert verdict.allowed and verdict.code == "dr.caught_up"
    assert verdict.rpo_bytes == 0


def test_a_primary_site_still_answering_is_never_promoted_over_even_accepting_loss() -> None:
    for accept in (False, True):
        verdict = decide(ALIVE, _lag(), accept_loss=accept)
        assert not verdict.allowed and verdict.code == "dr.not_fenced"
        assert "HAProxy 1 app path" in verdict.detail


def test_unknown_lag_is_refused_unless_the_loss_is_accepted() -> None:
    unknown = _lag(known=False, behind=4096, seconds=3.0)
    refused = decide(FENCED, unknown, accept_loss=False)
    assert not refused.allowed and refused.code == "dr.lag_unknown"
    assert "4096 bytes" in refused.detail and "--accept-loss" in refused.detail
    accepted = decide(FENCED, unknown, accept_loss=True)
    assert accepted.allowed and accepted.code == "dr.loss_accepted"
    assert accepted.rpo_bytes == 4096


def test_lag_over_the_bound_states_the_rpo() -> None:
    behind = _lag(behind=10_000, seconds=2.5)
    refused = decide(FENCED, behind, max_lag_bytes=1000, accept_loss=False)
    assert not refused.allowed and refused.code == "dr.lag_over"
    assert "10000 bytes" in refused.detail and "2.5초" in refused.detail
    assert decide(FENCED, behind, max_lag_bytes=10_000, accept_loss=False).allowed


def _s(at: float, primary: int | None, received: int | None) -> Sample:
    return Sample(
        at=at, primary_lsn=primary, received_lsn=received, replayed_lsn=received, standby=True
    )


def test_lag_in_bytes_and_seconds_from_samples() -> None:
    samples = [_s(10.0, 100, 100), _s(10.5, 200, 100), _s(11.0, 300, 150), _s(11.5, 300, 150)]
    found = lag(samples, now=12.0)
    assert found.known and found.primary_answering
    assert found.bytes == 150
    # The oldest primary position beyond 150 was seen at 10.5: 1.5 s of writes missing.
    assert found.seconds == 1.5


def test_caught_up_is_zero_seconds() -> None:
    found = lag([_s(10.0, 100, 50), _s(10.5, 120, 120)], now=11.0)
    assert found.bytes == 0 and found.seconds == 0.0


def test_primary_lost_while_sampled_keeps_its_last_position_known() -> None:
    samples = [_s(10.0, 500, 500), _s(10.5, None, 500), _s(11.0, None, 500)]
    found = lag(samples, now=20.0)
    assert not found.primary_answering
    assert found.known and found.bytes == 0
    assert found.primary_seen_at == 10.0


def test_primary_lost_without_a_close_sample_is_unknown() -> None:
    # The watcher was away: the first sample after the last sight came 30 s later.
    samples = [_s(10.0, 500, 400), _s(40.0, None, 450)]
    found = lag(samples, now=41.0)
    assert not found.known
    assert found.bytes == 50


def test_never_seen_is_unknown() -> None:
    found = lag([_s(10.0, None, 100)], now=11.0)
    assert not found.known and found.bytes is None
    assert not decide(FENCED, found, accept_loss=False).allowed
