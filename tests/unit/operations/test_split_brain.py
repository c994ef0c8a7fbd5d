"""Reading what a partition scenario watched: roles sampled over time, a writer's commits."""

from __future__ import annotations

from minwon.operations.scenarios.split_brain import (
    Commit,
    RoleSample,
    acknowledged_after,
    another_leads,
    longest_between,
    stopped_leading,
    with_two_primaries,
)


def sample(at: float, **roles: bool | None) -> RoleSample:
    return RoleSample(at, tuple(roles.items()))


SAMPLES = [
    sample(0.0, pg1=True, pg2=False, pg3=False),
    sample(0.1, pg1=True, pg2=False, pg3=False),
    sample(9.8, pg1=None, pg2=False, pg3=False),  # stopped while it demotes
    sample(11.0, pg1=False, pg2=False, pg3=False),  # in recovery: nobody takes writes
    sample(21.3, pg1=False, pg2=True, pg3=False),
]


def test_a_member_stops_leading_at_the_first_sample_it_does_not_take_writes() -> None:
    assert stopped_leading(SAMPLES, "pg1", after=0.05) == 9.8
    assert stopped_leading(SAMPLES, "pg2", after=20.0) is None  # it leads
    assert stopped_leading(SAMPLES, "pg1", after=30.0) is None  # nothing seen after


def test_another_member_leading_is_found_with_its_first_moment() -> None:
    assert another_leads(SAMPLES, "pg1", after=0.05) == ("pg2", 21.3)
    assert another_leads(SAMPLES[:4], "pg1", after=0.05) is None


def test_two_primaries_in_one_sample_are_split_brain_and_a_silent_member_is_not_one() -> None:
    assert with_two_primaries(SAMPLES) == []
    both = sample(20.0, pg1=True, pg2=True, pg3=None)
    assert with_two_primaries([*SAMPLES, both]) == [both]
    assert both.primaries == ("pg1", "pg2") and both.role("pg3") is None


def test_only_commits_sent_after_the_moment_and_acknowledged_count_against_it() -> None:
    before = Commit(began=0.9, acknowledged_at=1.2, row=7)  # in flight at the cut: may finish
    waited = Commit(began=1.1)  # waited until the demotion cut its connection
    refused = Commit(began=12.0)
    wrong = Commit(began=1.3, acknowledged_at=1.4, row=8)
    commits = [before, waited, refused, wrong]
    assert acknowledged_after(commits, 1.0) == [wrong]
    assert before.acknowledged and not waited.acknowledged


def test_the_longest_blind_spot_counts_the_edges_of_the_window() -> None:
    assert longest_between(SAMPLES, 0.0, 22.0) == 21.3 - 11.0
    assert longest_between([], 0.0, 2.0) == 2.0
