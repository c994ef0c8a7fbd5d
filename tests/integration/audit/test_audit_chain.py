"""The audit trail as someone with write access to the database would attack it.

Given a trail of real events (issuances, a refusal, a lookup) with a signed checkpoint,
each tampering below is done inside a transaction that is then rolled back, and the
check reads the same rows through the real adapter: an edited field, a deleted row, two
rows swapped, a whole chain rewritten with fresh hashes after an edit, a forged
checkpoint, the tail cut off. Each names the first broken link; the intact trail holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import Connection, delete, select, update

from minwon.adapters import tables as t
from minwon.adapters.audit_store import AuditLog
from minwon.audit.chain import GENESIS, link
from minwon.audit.checkpoints import TrailReport, check_trail
from minwon.audit.keeper import CheckpointKeeper
from minwon.audit.services import checkpoint, verify_trail
from minwon.errors import Refused
from minwon.issuance.commands import IssueDocument
from minwon.issuance.services import issue_document
from support.world import World

pytestmark = pytest.mark.usefixtures("backend")


def _key_for(world: World) -> Callable[[str], ed25519.Ed25519PublicKey | None]:
    keyring = world.container.keys.token_keyring

    def key_for(kid: str) -> ed25519.Ed25519PublicKey | None:
        key = keyring.get(kid)
        return key.public if key else None

    return key_for


def _events(world: World, prefix: str, count: int) -> None:
    citizen = world.citizen()
    for i in range(count):
        issue_document(
            world.container.issuance,
            principal=citizen,
            cmd=IssueDocument(idempotency_key=f"{prefix}-{i:04d}", document_type="deungbon"),
        )
        world.clock.advance(timedelta(seconds=1))


@pytest.fixture
def trail(world: World) -> World:
    """Six issuances and a refusal, a checkpoint, then three more issuances."""
    _events(world, "chain-a", 6)
    with pytest.raises(Refused):
        issue_document(
            world.container.issuance,
            principal=world.citizen("citizen-arrears"),
            cmd=IssueDocument(idempotency_key="chain-refused-0001", document_type="napse"),
        )
    made = checkpoint(world.container.uows, world.container.keys.token_private, world.clock.now())
    assert made is not None
    _events(world, "chain-b", 3)
    return world


def _check_tampered(world: World, tamper: Callable[[Connection], None]) -> TrailReport:
    with world.container.engine.connect() as conn, conn.begin() as tx:
        tamper(conn)
        log = AuditLog(conn)
        report = check_trail(log.chained(), log.checkpoints(), _key_for(world))
        tx.rollback()
    return report


def _seq_of(conn: Connection, seq: int) -> Any:
    return conn.execute(select(t.audit_events).where(t.audit_events.c.seq == seq)).one()


def test_the_intact_trail_holds_and_counts_every_event(trail: World) -> None:
    report = verify_trail(trail.container.uows, _key_for(trail))
    assert report.ok, report.broken
    assert report.events >= 10 and report.checkpoints == 1
    assert report.last_checkpoint is not None and report.last_checkpoint < report.events


def test_an_edited_purpose_is_found_at_its_row(trail: World) -> None:
    def edit(conn: Connection) -> None:
        conn.execute(
            update(t.audit_events).where(t.audit_events.c.seq == 4).values(outcome="issued:x")
        )

    report = _check_tampered(trail, edit)
    assert report.broken is not None
    assert (report.broken.kind, report.broken.seq, report.events) == ("audit.edited", 4, 3)


def test_a_deleted_row_is_found_where_it_was(trail: World) -> None:
    report = _check_tampered(
        trail, lambda conn: conn.execute(delete(t.audit_events).where(t.audit_events.c.seq == 5))
    )
    assert report.broken is not None
    assert (report.broken.kind, report.broken.seq) == ("audit.missing", 5)


def test_two_rows_swapped_break_the_link(trail: World) -> None:
    def swap(conn: Connection) -> None:
        events = t.audit_events
        conn.execute(update(events).where(events.c.seq == 3).values(seq=-3))
        conn.execute(update(events).where(events.c.seq == 2).values(seq=3))
        conn.execute(update(events).where(events.c.seq == -3).values(seq=2))

    report = _check_tampered(trail, swap)
    assert report.broken is not None
    assert (report.broken.kind, report.broken.seq) == ("audit.relinked", 2)


def test_a_chain_rewritten_with_fresh_hashes_is_caught_by_the_signed_checkpoint(
    trail: World,
) -> None:
    def rewrite(conn: Connection) -> None:
        events = t.audit_events
        conn.execute(update(events).where(events.c.seq == 2).values(purpose="rewritten"))
        log = AuditLog(conn)
        prev = GENESIS
        for row in list(log.chained()):
            digest = link(prev, row.seq, row.event)
            conn.execute(
                update(events).where(events.c.seq == row.seq).values(prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(update(t.audit_chain_head).values(hash=prev))

    report = _check_tampered(trail, rewrite)
    assert report.broken is not None
    assert report.broken.kind == "audit.checkpoint"
    assert report.broken.seq == trail_checkpoint(trail)


def trail_checkpoint(world: World) -> int:
    with world.container.uows(readonly=True) as uow:
        return uow.audit.checkpoints()[0].seq


def test_a_checkpoint_forged_to_match_a_rewrite_is_refused(trail: World) -> None:
    def forge(conn: Connection) -> None:
        conn.execute(update(t.audit_checkpoints).values(hash="ab" * 32))

    report = _check_tampered(trail, forge)
    assert report.broken is not None and report.broken.kind == "audit.checkpoint_forged"


def test_the_tail_cut_back_past_the_checkpoint_is_found(trail: World) -> None:
    pinned = trail_checkpoint(trail)

    def cut(conn: Connection) -> None:
        conn.execute(delete(t.audit_events).where(t.audit_events.c.seq >= pinned))

    report = _check_tampered(trail, cut)
    assert report.broken is not None
    assert (report.broken.kind, report.broken.seq) == ("audit.missing", pinned)


def test_concurrent_issuances_link_into_one_chain(world: World) -> None:
    errors: list[BaseException] = []

    def issue(worker: int) -> None:
        try:
            _events(world, f"chain-thread-{worker}", 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    report = verify_trail(world.container.uows, _key_for(world))
    assert report.ok, report.broken
    assert report.events >= 12


def test_a_running_server_signs_checkpoints_on_its_own(world: World) -> None:
    keeper = CheckpointKeeper(
        world.container.uows, world.container.keys.token_private, world.clock.now, 0.05
    ).start()
    try:
        _events(world, "chain-keeper", 2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not trail_checkpoints(world):
            time.sleep(0.05)
    finally:
        keeper.stop()
    pinned = trail_checkpoints(world)
    assert pinned, "no checkpoint within 10 s"
    report = verify_trail(world.container.uows, _key_for(world))
    assert report.ok and report.last_checkpoint == pinned[-1]


def trail_checkpoints(world: World) -> list[int]:
    with world.container.uows(readonly=True) as uow:
        return [c.seq for c in uow.audit.checkpoints()]
