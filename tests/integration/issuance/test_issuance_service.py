"""Issuance through the services, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from minwon.adapters import tables as t
from minwon.errors import Conflict, InvalidRequest, Refused
from minwon.issuance.commands import CounterRequester, IssueDocument, VoidIssuance
from minwon.issuance.model import Ground
from minwon.issuance.numbers import damm_digit
from minwon.issuance.services import issue_document, void_issuance
from minwon.issuance.verification import VerificationStatus, verify_number
from support.world import World


def _deungbon(key: str, **kw: object) -> IssueDocument:
    return IssueDocument(idempotency_key=key, document_type="deungbon", **kw)  # type: ignore[arg-type]


def test_citizen_gets_own_deungbon_with_fee_snapshot_and_audit(world: World) -> None:
    citizen = world.citizen()
    outcome = issue_document(
        world.container.issuance, principal=citizen, cmd=_deungbon("k-own-0001")
    )
    record = outcome.record
    assert not outcome.replayed
    assert len(record.number) == 16 and damm_digit(record.number) == 0
    snapshot = json.loads(record.snapshot)
    me = world.resident(citizen.resident_id or "")
    assert snapshot["members"][0]["name"] == world.household_of(me)[0].name
    assert snapshot["channel"] == "online" and snapshot["fee"] == 0
    assert world.count(t.fees) == 1
    with world.container.uows(readonly=True) as uow:
        events = uow.audit.events(action="issue")
    assert [e.issuance_id for e in events] == [record.id]
    assert events[0].subject_ref == f"resident:{me.id}"


def test_retry_with_same_key_returns_same_document_and_charges_once(world: World) -> None:
    clerk = world.clerk()
    citizen = world.resident(world.citizen().resident_id or "")
    cmd = _deungbon("k-retry-001", requester=CounterRequester(citizen.name, citizen.rrn, True))
    first = issue_document(world.container.issuance, principal=clerk, cmd=cmd)
    second = issue_document(world.container.issuance, principal=clerk, cmd=cmd)
    assert second.replayed and second.record.number == first.record.number
    assert second.record.content_hash == first.record.content_hash
    assert first.fee.amount == 400 and world.count(t.fees) == 1 and world.count(t.issuances) == 1


def test_same_key_with_different_payload_is_rejected(world: World) -> None:
    citizen = world.citizen()
    issue_document(world.container.issuance, principal=citizen, cmd=_deungbon("k-diff-0001"))
    with pytest.raises(InvalidRequest) as err:
        issue_document(
            world.container.issuance,
            principal=citizen,
            cmd=_deungbon("k-diff-0001", items={"past_addresses": "all"}),
        )
    assert err.value.code == "idempotency.key_reused" and err.value.status == 422
    assert world.count(t.issuances) == 1


def test_in_flight_duplicate_answers_conflict_until_its_lease_expires(world: World) -> None:
    citizen = world.citizen()
    cmd = _deungbon("k-flight-01")
    now = world.clock.now()
    with world.container.uows() as uow:  # another instance claimed the key and is still working
        uow.idempotency.claim(
            principal=citizen.ref,
            key=cmd.idempotency_key,
            request_hash=cmd.fingerprint(),
            now=now,
            lease=timedelta(seconds=10),
        )
        uow.commit()
    with pytest.raises(Conflict) as err:
        issue_document(world.container.issuance, principal=citizen, cmd=cmd)
    assert err.value.code == "idempotency.in_flight" and err.value.status == 409
    world.clock.advance(timedelta(seconds=11))  # that instance died; its lease runs out
    outcome = issue_document(world.container.issuance, principal=citizen, cmd=cmd)
    assert not outcome.replayed and world.count(t.issuances) == 1


def test_refusal_is_audited_writes_nothing_else_and_frees_the_key(world: World) -> None:
    clerk = world.clerk()
    subject = world.resident(world.citizen().resident_id or "")
    stranger = world.stranger_to(subject)
    cmd = _deungbon(
        "k-refuse-01",
        subject_resident_id=subject.id,
        requester=CounterRequester(stranger.name, stranger.rrn, True),
        ground=Ground.CREDITOR,
        purpose="대여금 반환 소송",
    )
    with pytest.raises(Refused) as err:
        issue_document(world.container.issuance, principal=clerk, cmd=cmd)
    assert err.value.code == "entitlement.creditor_chobon_only"
    assert "29조" in err.value.basis
    assert world.count(t.issuances) == 0 and world.count(t.fees) == 0
    with world.container.uows(readonly=True) as uow:
        refusals = uow.audit.events(action="refuse")
    assert len(refusals) == 1 and refusals[0].outcome == "entitlement.creditor_chobon_only"
    chobon = IssueDocument(
        idempotency_key="k-refuse-02",
        document_type="chobon",
        subject_resident_id=subject.id,
        requester=CounterRequester(stranger.name, stranger.rrn, True),
        ground=Ground.CREDITOR,
        purpose="대여금 반환 소송",
    )
    outcome = issue_document(world.container.issuance, principal=clerk, cmd=chobon)
    snapshot = outcome.record.snapshot_data()
    assert snapshot["print_purpose"] and snapshot["purpose"] == "대여금 반환 소송"
    assert snapshot["person"]["rrn"].endswith("******")
    assert all(a["head_name"] is None for a in snapshot["addresses"])


def test_kiosk_serves_self_but_not_a_stranger(world: World) -> None:
    me = world.resident(world.citizen().resident_id or "")
    kiosk = world.kiosk(me)
    outcome = issue_document(world.container.issuance, principal=kiosk, cmd=_deungbon("k-kiosk-01"))
    assert outcome.fee.amount == 200
    other = world.stranger_to(me)
    with pytest.raises(Refused) as err:
        issue_document(
            world.container.issuance,
            principal=kiosk,
            cmd=_deungbon("k-kiosk-02", subject_resident_id=other.id),
        )
    assert err.value.code == "entitlement.self_or_household_only"


def test_rrn_back_digits_are_masked_unless_chosen(world: World) -> None:
    citizen = world.citizen()
    shown = issue_document(world.container.issuance, principal=citizen, cmd=_deungbon("k-rrn-0001"))
    hidden = issue_document(
        world.container.issuance,
        principal=citizen,
        cmd=_deungbon("k-rrn-0002", items={"rrn_back": False}),
    )
    assert not shown.record.snapshot_data()["members"][0]["rrn"].endswith("******")
    assert all(m["rrn"].endswith("******") for m in hidden.record.snapshot_data()["members"])


def test_building_register_is_public_to_any_citizen(world: World) -> None:
    number = world.a_building()
    outcome = issue_document(
        world.container.issuance,
        principal=world.citizen("citizen2"),
        cmd=IssueDocument(
            idempotency_key="k-bldg-0001", document_type="geonchuk", building_number=number
        ),
    )
    assert outcome.record.subject_ref == f"building:{number}"
    assert outcome.record.snapshot_data()["building"]["register_number"] == number


def test_arrears_block_the_tax_certificate(world: World) -> None:
    with pytest.raises(Refused) as err:
        issue_document(
            world.container.issuance,
            principal=world.citizen("citizen-arrears"),
            cmd=IssueDocument(idempotency_key="k-tax-00001", document_type="napse"),
        )
    assert err.value.code == "tax.arrears"


def test_verification_reports_valid_then_voided(world: World) -> None:
    outcome = issue_document(
        world.container.issuance, principal=world.citizen(), cmd=_deungbon("k-void-0001")
    )
    number = outcome.record.number
    result = verify_number(world.container.issuance, number_text=number)
    assert result.status is VerificationStatus.VALID
    assert "*" in result.subject_masked
    clerk = world.clerk("supervisor-city")  # internet documents are the city hall's
    with pytest.raises(InvalidRequest):
        void_issuance(world.container.issuance, principal=clerk, cmd=VoidIssuance(number, " "))
    void_issuance(world.container.issuance, principal=clerk, cmd=VoidIssuance(number, "오기 발급"))
    voided = verify_number(world.container.issuance, number_text=number)
    assert voided.status is VerificationStatus.VOIDED and voided.voided_at is not None
    with pytest.raises(Conflict):
        void_issuance(world.container.issuance, principal=clerk, cmd=VoidIssuance(number, "다시"))


def test_verification_reports_expired_after_the_window(world: World) -> None:
    outcome = issue_document(
        world.container.issuance, principal=world.citizen(), cmd=_deungbon("k-exp-00001")
    )
    world.clock.advance(timedelta(days=91))
    result = verify_number(world.container.issuance, number_text=outcome.record.number)
    assert result.status is VerificationStatus.EXPIRED


def test_a_typo_in_the_number_is_caught_before_lookup(world: World) -> None:
    outcome = issue_document(
        world.container.issuance, principal=world.citizen(), cmd=_deungbon("k-typo-0001")
    )
    number = outcome.record.number
    swapped = number[:5] + number[6] + number[5] + number[7:]
    if swapped == number:
        swapped = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidRequest) as err:
        verify_number(world.container.issuance, number_text=swapped)
    assert err.value.code == "number.check_digit"


def test_seal_certificate_by_a_proxy_at_the_counter_notifies_the_subject(world: World) -> None:
    from datetime import date

    from minwon.issuance.commands import ProxyEvidence
    from minwon.issuance.model import Delegation

    subject = world.adult_with_seal()
    proxy_person = world.stranger_to(subject, min_age=30)
    clerk = world.clerk()
    base = dict(
        document_type="ingam",
        subject_resident_id=subject.id,
        requester=CounterRequester(proxy_person.name, proxy_person.rrn, True),
        delegation=Delegation(
            written_on=world.clock.now().date(), document_types=("ingam",), delegator_id_seen=True
        ),
    )
    with pytest.raises(Refused) as err:
        issue_document(
            world.container.issuance,
            principal=clerk,
            cmd=IssueDocument(
                idempotency_key="k-seal-0001",
                proxy=ProxyEvidence(
                    delegate_id_checked=True,
                    delegator_id_checked=True,
                    fingerprint_taken=False,
                ),
                **base,  # type: ignore[arg-type]
            ),
        )
    assert err.value.code == "seal.proxy_fingerprint_missing"
    assert world.count(t.notifications) == 0
    outcome = issue_document(
        world.container.issuance,
        principal=clerk,
        cmd=IssueDocument(
            idempotency_key="k-seal-0002",
            proxy=ProxyEvidence(
                delegate_id_checked=True, delegator_id_checked=True, fingerprint_taken=True
            ),
            **base,  # type: ignore[arg-type]
        ),
    )
    snapshot = outcome.record.snapshot_data()
    assert snapshot["proxy"]["name"] == proxy_person.name
    assert snapshot["proxy"]["rrn"].endswith("******")
    assert outcome.fee.amount == 600 and world.count(t.notifications) == 1
    assert date.fromisoformat(snapshot["seal"]["registered_on"]) <= date.today()


def test_seal_certificates_are_not_issued_online(world: World) -> None:
    with pytest.raises(Refused) as err:
        issue_document(
            world.container.issuance,
            principal=world.citizen(),
            cmd=IssueDocument(idempotency_key="k-seal-0003", document_type="ingam"),
        )
    assert err.value.code == "entitlement.channel_not_offered"


@pytest.mark.parametrize("after_commit", [False, True], ids=["before_commit", "ack_lost"])
def test_a_connection_lost_mid_issuance_is_retried_without_a_duplicate(
    world: World, after_commit: bool
) -> None:
    from dataclasses import replace

    from support.faults import FlakyUnitOfWorkFactory

    # Commit 1 is the idempotency claim; commit 2 writes issuance, fee and audit.
    flaky = FlakyUnitOfWorkFactory(world.container.uows, fail_on=2, after_commit=after_commit)
    ctx = replace(world.container.issuance, uows=flaky)
    outcome = issue_document(ctx, principal=world.citizen(), cmd=_deungbon("k-lost-0001"))
    assert flaky.commits >= 3
    assert outcome.replayed is after_commit
    assert world.count(t.issuances) == 1 and world.count(t.fees) == 1
    with world.container.uows(readonly=True) as uow:
        assert uow.issuances.by_number(outcome.record.number) is not None


def test_only_the_current_holder_of_a_key_can_complete_it(world: World) -> None:
    now = world.clock.now()
    lease = timedelta(seconds=10)
    with world.container.uows() as uow:
        first = uow.idempotency.claim(
            principal="p", key="k-race-0001", request_hash="h", now=now, lease=lease, holder="a"
        )
        again = uow.idempotency.claim(
            principal="p", key="k-race-0001", request_hash="h", now=now, lease=lease, holder="a"
        )
        other = uow.idempotency.claim(
            principal="p", key="k-race-0001", request_hash="h", now=now, lease=lease, holder="b"
        )
        taken = uow.idempotency.claim(
            principal="p",
            key="k-race-0001",
            request_hash="h",
            now=now + timedelta(seconds=11),
            lease=lease,
            holder="b",
        )
        late = uow.idempotency.complete(
            principal="p", key="k-race-0001", holder="a", issuance_id="x"
        )
        won = uow.idempotency.complete(
            principal="p", key="k-race-0001", holder="b", issuance_id="y"
        )
        uow.commit()
    assert first.state.value == "new" and again.state.value == "new"  # the holder may retry
    assert other.state.value == "in_flight"  # anyone else waits for the lease
    assert taken.state.value == "new"  # after the lease, the key is taken over
    assert (late, won) == (False, True)  # and only the new holder can complete it
