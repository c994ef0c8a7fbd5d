"""The primary's guard decides from what answered: silence on a primary is fenced, once.

Given a clock moved by hand and checks that answer, fail with an answer, or hang, the
guard fences a primary only after `hung_after` seconds of silence; never a replica,
never a node Patroni has already taken the role from, never on an error answer (a
refusing or restarting PostgreSQL is Patroni's), and not again within the cooldown.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from minwon.operations.cluster.guard import Guard, Hang, Observation, Policy, Target

TARGET = Target("127.0.0.1", 5432, "postgres", "pw", "postgres", Path("/nonexistent"), "http://x")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class World:
    """What the guard's checks see: an answer (primary or not), an error, or a hang."""

    def __init__(self) -> None:
        self.answer: bool | Exception = True
        self.patroni: bool | None = True
        self.killed: list[Path] = []

    def check(self, _: Target) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def kill(self, data_dir: Path) -> list[int]:
        self.killed.append(data_dir)
        return [4242]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _guard(world: World, clock: Clock, **policy: float) -> Guard:
    return Guard(
        TARGET,
        Policy(**policy),
        check=world.check,
        ask_patroni=lambda _: world.patroni,
        kill=world.kill,
        clock=clock,
    )


def test_a_primary_silent_for_hung_after_is_fenced_once(world: World, clock: Clock) -> None:
    guard = _guard(world, clock, hung_after=4, cooldown=60)
    guard.check_once()  # a healthy primary
    world.answer = Hang("timeout expired")
    for _ in range(7):  # 3.5 s of silence
        clock.now += 0.5
        guard.check_once()
        assert guard.decide() == []
    clock.now += 0.5
    assert guard.decide() == [4242]
    assert world.killed == [TARGET.data_dir]
    clock.now += 30  # still silent, within the cooldown: no second fence
    assert guard.decide() == []
    clock.now += 31
    assert guard.decide() == [4242]


def test_answers_of_any_kind_keep_the_primary_alive(world: World, clock: Clock) -> None:
    guard = _guard(world, clock, hung_after=4)
    guard.check_once()
    world.answer = psycopg.OperationalError("the database system is shutting down")
    for _ in range(20):
        clock.now += 0.5
        guard.check_once()
        assert guard.decide() == []
    assert world.killed == []


def test_a_replica_is_never_fenced(world: World, clock: Clock) -> None:
    world.answer = False
    guard = _guard(world, clock, hung_after=4)
    guard.check_once()
    world.answer = Hang("timeout expired")
    clock.now += 60
    guard.check_once()
    assert guard.decide() == [] and world.killed == []


def test_a_node_patroni_has_demoted_is_left_to_patroni(world: World, clock: Clock) -> None:
    guard = _guard(world, clock, hung_after=4)
    guard.check_once()
    world.answer, world.patroni = Hang("timeout expired"), False
    clock.now += 10
    guard.check_once()
    assert guard.decide() == []


def test_a_silent_patroni_does_not_save_a_hung_primary(world: World, clock: Clock) -> None:
    guard = _guard(world, clock, hung_after=4)
    guard.check_once()
    world.answer, world.patroni = Hang("timeout expired"), None  # the whole node is stuck
    clock.now += 5
    guard.check_once()
    assert guard.decide() == [4242]


def test_a_guard_that_never_heard_a_primary_does_nothing(world: World, clock: Clock) -> None:
    world.answer = Hang("timeout expired")  # PostgreSQL not up yet when the guard starts
    guard = _guard(world, clock, hung_after=4)
    clock.now += 30
    guard.check_once()
    assert guard.decide() == []


def test_policy_alone() -> None:
    policy = Policy(hung_after=4, cooldown=60)
    seen = Observation(answered_at=0.0, primary=True, patroni_primary=True, last_unanswered=True)
    assert not policy.should_fence(seen, 3.9)
    assert policy.should_fence(seen, 4.0)
    fenced = Observation(0.0, primary=True, fenced_at=1.0, last_unanswered=True)
    assert not policy.should_fence(fenced, 30.0)
    # A check stuck in PostgreSQL (a commit that never returns) is silence too.
    assert policy.should_fence(Observation(0.0, primary=True, checking=True), 4.0)


def test_a_check_thread_that_was_not_scheduled_is_no_hang(world: World, clock: Clock) -> None:
    """On a loaded host the check thread may sleep past `hung_after` between two checks:
    it asked nothing, so the silence is its own, and the primary is left alone until a
    check goes unanswered."""
    guard = _guard(world, clock, hung_after=4)
    guard.check_once()
    clock.now += 10  # no check ran meanwhile
    assert guard.decide() == [] and world.killed == []
    world.answer = Hang("timeout expired")
    guard.check_once()
    assert guard.decide() == [4242]
