"""A retry must not wait behind a dead server: claims follow their instance's heartbeat.

Given a request in flight on server instance A holds the claim on its idempotency key,
when the same request is sent again to instance B, then B waits while A still beats and
answers 409 if A stays busy; once A misses its beats (killed, hung, host gone) B takes the
claim over at once, long before the claim's lease ends, and exactly one document and
one fee exist for the key. A claim whose instance never beat (a CLI) keeps its lease, a
key sent with other content is still refused, and A, should it wake up, cannot complete.
A request that gave up on the database (503) has its claim freed by its server's
heartbeat once the database is back, unless another request has taken it over.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from minwon.adapters import tables as t
from minwon.errors import Conflict, InvalidRequest, Unavailable
from minwon.issuance.claims import Abandoned, AbandonedClaims
from minwon.issuance.commands import IssueDocument
from minwon.issuance.context import IssuanceContext
from minwon.issuance.services import issue_document, release_abandoned
from minwon.operations.heartbeat import Heartbeat
from support.world import World

A, B = "a" * 32, "b" * 32
LEASE = timedelta(seconds=10)
GRACE = timedelta(seconds=0.75)


def _on_b(world: World, wait: float = 0.3) -> IssuanceContext:
    """Instance B's issuance context: its own id, a short wait for another's claim."""
    return replace(world.container.issuance, instance_id=B, in_flight_wait_seconds=wait)


def _a_beats(world: World) -> None:
    now = world.clock.now()
    with world.container.uows() as uow:
        uow.instances.beat(instance=A, host="a", pid=1, now=now, alive_until=now + GRACE)
        uow.commit()


def _a_holds(world: World, principal: str, cmd: IssueDocument, *, instance: str | None = A) -> None:
    """Leaves what a request in flight on instance A leaves: its claim on the key."""
    with world.container.uows() as uow:
        claim = uow.idempotency.claim(
            principal=principal,
            key=cmd.idempotency_key,
            request_hash=cmd.fingerprint(),
            now=world.clock.now(),
            lease=LEASE,
            holder="holder-on-a",
            instance=instance,
        )
        uow.commit()
    assert claim.state.value == "new"


def _issued(world: World) -> tuple[int, int]:
    return world.count(t.issuances), world.count(t.fees)


def test_a_retry_waits_while_the_holder_beats_then_answers_in_flight(world: World) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-alive-0001", document_type="deungbon")
    _a_beats(world)
    _a_holds(world, citizen.ref, cmd)
    began = time.monotonic()
    with pytest.raises(Conflict) as err:
        issue_document(_on_b(world), principal=citizen, cmd=cmd)
    assert err.value.code == "idempotency.in_flight" and err.value.extra["retry_after"] == 1
    assert time.monotonic() - began >= 0.3  # it waited for A before answering
    assert _issued(world) == (0, 0)


def test_the_claim_of_an_instance_that_stopped_beating_is_taken_over_at_once(
    world: World,
) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-dead-00001", document_type="deungbon")
    _a_beats(world)
    _a_holds(world, citizen.ref, cmd)
    world.clock.advance(timedelta(seconds=1))  # A missed its beats; its lease has 9 s left
    outcome = issue_document(_on_b(world), principal=citizen, cmd=cmd)
    assert not outcome.replayed
    assert _issued(world) == (1, 1)
    with world.container.uows() as uow:  # A wakes up and tries to finish: too late
        late = uow.idempotency.complete(
            principal=citizen.ref, key=cmd.idempotency_key, holder="holder-on-a", issuance_id="x"
        )
        uow.commit()
    assert late is False
    again = issue_document(_on_b(world), principal=citizen, cmd=cmd)
    assert again.replayed and again.record.number == outcome.record.number
    assert _issued(world) == (1, 1)


def test_a_claim_from_a_process_that_never_beats_keeps_its_lease(world: World) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-cli-000001", document_type="deungbon")
    _a_holds(world, citizen.ref, cmd, instance="c" * 32)  # e.g. `minwon` run by hand
    world.clock.advance(timedelta(seconds=5))
    with pytest.raises(Conflict):
        issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd)
    world.clock.advance(timedelta(seconds=6))  # past the lease
    assert not issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd).replayed


def test_a_dead_holder_does_not_let_other_content_take_its_key(world: World) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-other-0001", document_type="deungbon")
    _a_beats(world)
    _a_holds(world, citizen.ref, cmd)
    world.clock.advance(timedelta(seconds=1))
    other = replace(cmd, items={"past_addresses": "all"})
    began = time.monotonic()
    with pytest.raises(InvalidRequest) as err:
        issue_document(_on_b(world, wait=1.0), principal=citizen, cmd=other)
    assert err.value.code == "idempotency.key_reused"
    assert time.monotonic() - began < 0.5  # refused at once, without waiting
    assert _issued(world) == (0, 0)


def test_a_heartbeat_keeps_its_instance_alive_and_a_clean_stop_frees_its_claims(
    world: World,
) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-retire-001", document_type="deungbon")
    chores: list[int] = []
    heartbeat = Heartbeat(
        world.container.uows,
        A,
        world.clock.now,
        interval=0.05,
        grace=0.5,
        chores=[lambda: chores.append(1)],
    )
    heartbeat.start()
    try:
        _a_holds(world, citizen.ref, cmd)
        with pytest.raises(Conflict):  # A beats: its claim holds
            issue_document(_on_b(world, wait=0.2), principal=citizen, cmd=cmd)
        assert heartbeat.beats >= 2
        assert len(chores) >= 2  # each beat that reached the database runs the chores
    finally:
        heartbeat.stop()  # a clean shutdown retires A
    assert not issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd).replayed
    assert _issued(world) == (1, 1)


def test_a_heartbeat_needs_a_grace_longer_than_its_interval(world: World) -> None:
    with pytest.raises(ValueError):
        Heartbeat(world.container.uows, A, world.clock.now, interval=0.5, grace=0.5)


def test_a_request_that_gave_up_on_the_database_frees_its_claim_once_it_is_back(
    world: World,
) -> None:
    from support.faults import FlakyUnitOfWorkFactory

    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-gave-up-01", document_type="deungbon")
    abandoned = AbandonedClaims()
    # Commit 1 is the claim; the issuance's own commit then finds the database gone, and
    # with no time left to retry the request answers 503 (the kiosk will send it again).
    flaky = FlakyUnitOfWorkFactory(world.container.uows, fail_on=2, after_commit=False)
    gave_up = replace(
        _on_b(world), uows=flaky, db_retry_seconds=0.0, instance_id=A, abandoned=abandoned
    )
    _a_beats(world)  # the instance lives on: only its request is gone
    with pytest.raises(Unavailable):
        issue_document(gave_up, principal=citizen, cmd=cmd)
    assert len(abandoned) == 1 and _issued(world) == (0, 0)
    with pytest.raises(Conflict):  # the retry finds the claim held, by a live instance
        issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd)
    back = replace(world.container.issuance, abandoned=abandoned)
    assert release_abandoned(back) == 1 and len(abandoned) == 0  # its heartbeat's chore
    assert not issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd).replayed
    assert _issued(world) == (1, 1)


def test_freeing_an_abandoned_claim_spares_one_another_request_took_over(world: World) -> None:
    citizen = world.citizen()
    cmd = IssueDocument(idempotency_key="k-spared-001", document_type="deungbon")
    _a_beats(world)
    _a_holds(world, citizen.ref, cmd)
    abandoned = AbandonedClaims()
    abandoned.add(Abandoned(citizen.ref, cmd.idempotency_key, "another-holder"))
    ctx = replace(world.container.issuance, abandoned=abandoned)
    assert release_abandoned(ctx) == 0  # "holder-on-a" holds it, not the one that gave up
    with pytest.raises(Conflict):
        issue_document(_on_b(world, wait=0), principal=citizen, cmd=cmd)
