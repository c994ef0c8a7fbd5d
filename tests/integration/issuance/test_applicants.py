"""The applicant is a recorded party: a clerk's runbook for 인감 by proxy, and an
attacker's tries with a typed age and a borrowed number.

Ages come from the proxy's own 주민등록번호 (in the registry or not), never from a typed
number; a name the registry contradicts is refused without echoing the number; every
issuance records who applied and what was seen; the paper prints the real applicant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from minwon.adapters import party_tables as pt
from minwon.adapters import tables as t
from minwon.bootstrap import Container
from minwon.errors import Refused
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.model import Ground
from minwon.issuance.services import issue_document
from minwon.registry.model import Resident
from minwon.registry.rrn import mask
from support.parties import (
    COUNTER_DAY,
    Person,
    counter_container,
    of,
    outside_rrn,
    seal_by_proxy,
    years_before,
)
from support.rrn_leaks import assert_no_full_number
from support.world import World


@pytest.fixture
def counter(world: World) -> Iterator[Container]:
    c = counter_container(world)
    try:
        yield c
    finally:
        c.close()


def _proxy(world: World, counter: Container, subject: Resident, who: str) -> Person:
    """The proxies of the table: by the birthday that decides, in the registry or not."""
    seventeen = years_before(COUNTER_DAY, 17)
    if who == "outside_16_turning_17_tomorrow":
        return Person("한대리", outside_rrn(counter, seventeen + timedelta(days=1)))
    if who == "outside_16":
        return Person("한대리", outside_rrn(counter, years_before(COUNTER_DAY, 16), "F"))
    if who == "outside_17_today":
        return Person("한대리", outside_rrn(counter, seventeen))
    if who == "outside_35":
        return Person("한대리", outside_rrn(counter, years_before(COUNTER_DAY, 35), "F"))
    if who == "outside_without_number":
        return Person("한대리", None)
    if who == "registry_adult":
        return of(world.stranger_to(subject, min_age=30))
    raise AssertionError(who)


# (case, proxy, outcome: "issued" or the refusal code)
PROXIES = [
    ("a 16-year-old from outside the registry who types age 40 is refused",
     "outside_16", "seal.proxy_underage"),
    ("one day before the 17th birthday is still 16",
     "outside_16_turning_17_tomorrow", "seal.proxy_underage"),
    ("the 17th birthday itself is old enough", "outside_17_today", "issued"),
    ("a 35-year-old from outside the registry", "outside_35", "issued"),
    ("a registry resident as proxy", "registry_adult", "issued"),
    ("a proxy who gave no number has no age", "outside_without_number", "seal.proxy_age_unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "who", "outcome"), PROXIES, ids=[p[1] for p in PROXIES])
def test_a_seal_proxys_age_comes_from_the_proxys_own_number(
    world: World, counter: Container, case: str, who: str, outcome: str
) -> None:
    subject = world.adult_with_seal()
    proxy = _proxy(world, counter, subject, who)
    clerk = world.clerk()
    cmd = seal_by_proxy(f"k-age-{who}"[:80], subject, proxy)
    if outcome != "issued":
        with pytest.raises(Refused) as err:
            issue_document(counter.issuance, principal=clerk, cmd=cmd)
        assert err.value.code == outcome, case
        assert "시행령 제13조" in err.value.basis
        assert world.count(t.issuances) == 0 and world.count(t.notifications) == 0
        return
    outcome_ = issue_document(counter.issuance, principal=clerk, cmd=cmd)
    snapshot = outcome_.record.snapshot_data()
    # The paper's 발급 신청인 is the proxy, with a masked number, whether or not the
    # registry knows them.
    assert snapshot["proxy"] == {"name": proxy.name, "rrn": mask(proxy.rrn or "")}, case
    with counter.uows(readonly=True) as uow:
        applicant = uow.applicants.of_issuance(outcome_.record.id)
    assert applicant is not None
    assert (applicant.name, applicant.rrn_masked) == (proxy.name, mask(proxy.rrn or ""))
    assert applicant.relation == "other" and applicant.requester_class == "delegate"


def test_the_api_ignores_a_typed_age(world: World, counter: Container) -> None:
    from starlette.testclient import TestClient

    from minwon.demo import DEMO_PASSWORD
    from minwon.web.app import create_app

    subject = world.adult_with_seal()
    teen = outside_rrn(counter, years_before(COUNTER_DAY, 16))
    with TestClient(create_app(counter)) as api:
        login = api.post(
            "/api/v1/auth/clerk", json={"username": "clerk", "password": DEMO_PASSWORD}
        )
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        body = {
            "document_type": "ingam",
            "subject_resident_id": subject.id,
            "requester": {"name": "한대리", "rrn": teen, "id_checked": True},
            "delegation": {
                "written_on": (COUNTER_DAY - timedelta(days=3)).isoformat(),
                "document_types": ["ingam"],
                "delegator_id_seen": True,
            },
            "proxy": {
                "age": 40,  # typed: says 40, the number says 16
                "delegate_id_checked": True,
                "delegator_id_checked": True,
                "fingerprint_taken": True,
            },
        }
        answer = api.post(
            "/api/v1/issuances", json=body, headers={**auth, "Idempotency-Key": "k-api-age-1"}
        )
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "seal.proxy_underage"
    assert_no_full_number(answer.text, "refusal")
    assert world.count(t.issuances) == 0


def test_a_name_that_contradicts_the_number_is_refused_without_echoing_it(
    world: World, counter: Container
) -> None:
    victim = world.resident(world.citizen("citizen2").resident_id or "")
    assert victim.name != "아무개"
    cmd = IssueDocument(
        idempotency_key="k-name-0001",
        document_type="deungbon",
        subject_resident_id=victim.id,
        requester=CounterRequester("아무개", victim.rrn, True),  # "아무개" with a stolen number
    )
    with pytest.raises(Refused) as err:
        issue_document(counter.issuance, principal=world.clerk(), cmd=cmd)
    assert err.value.code == "applicant.name_mismatch"
    assert victim.rrn not in err.value.detail and victim.rrn[:6] not in err.value.detail
    assert world.count(t.issuances) == 0
    with counter.uows(readonly=True) as uow:
        (refusal,) = uow.audit.events(action="refuse")
    assert refusal.outcome == "applicant.name_mismatch"
    assert refusal.detail["applicant"]["name"] == "아무개"
    assert refusal.detail["applicant"]["rrn"] == mask(victim.rrn)
    assert_no_full_number(json.dumps(refusal.detail, ensure_ascii=False), "audit detail")
    # The same person, named as the registry names them, is served as 본인.
    right = IssueDocument(
        idempotency_key="k-name-0002",
        document_type="deungbon",
        subject_resident_id=victim.id,
        requester=CounterRequester(f" {victim.name} ", victim.rrn, True),
    )
    issue_document(counter.issuance, principal=world.clerk(), cmd=right)


def test_a_proxy_issuance_records_the_applicant_and_the_evidence_seen(
    world: World, counter: Container
) -> None:
    subject = world.adult_with_seal()
    proxy = Person("한대리", outside_rrn(counter, years_before(COUNTER_DAY, 30)))
    clerk = world.clerk()
    capture = "f00dfeedcafe1234"
    outcome = issue_document(
        counter.issuance,
        principal=clerk,
        cmd=seal_by_proxy("k-evid-0001", subject, proxy, capture=capture),
    )
    with counter.uows(readonly=True) as uow:
        applicant = uow.applicants.of_issuance(outcome.record.id)
        (event,) = uow.audit.events(action="issue")
    assert applicant is not None
    assert applicant.identification == "id_card" and applicant.id_checked
    assert applicant.checked_by == clerk.id
    assert applicant.delegation_written_on == COUNTER_DAY - timedelta(days=10)
    assert applicant.delegation_scope == ("ingam",) and applicant.delegator_id_seen
    assert applicant.delegate_id_checked and applicant.delegator_id_checked
    assert applicant.fingerprint_taken
    assert applicant.fingerprint_digest and len(applicant.fingerprint_digest) == 64
    assert capture not in applicant.fingerprint_digest
    # The audit event shows the applicant with a masked number.
    shown = event.detail["applicant"]
    assert shown["name"] == proxy.name and shown["rrn"] == mask(proxy.rrn or "")
    assert shown["checked_by"] == clerk.id and shown["proxy"]["fingerprint_read"] is True
    assert shown["delegation"]["scope"] == ["ingam"]
    assert_no_full_number(json.dumps(event.detail, ensure_ascii=False), "audit detail")
    # In the database: the number only sealed, the reading nowhere.
    digits = (proxy.rrn or "").replace("-", "")
    with counter.engine.connect() as conn:
        row = conn.execute(select(pt.issuance_applicants)).one()
    stored = json.dumps([str(v) for v in row], ensure_ascii=False)
    assert digits not in stored and (proxy.rrn or "") not in stored and capture not in stored
    assert counter.vault.decrypt(row.rrn_cipher) == digits


@pytest.mark.parametrize(
    ("document", "ground", "purpose", "cls"),
    [
        ("chobon", Ground.CREDITOR, "대여금 반환 청구 소송", "creditor"),
        ("deungbon", Ground.KIN, "부모님 연금 신청", "kin"),
    ],
)
def test_third_party_issuances_record_who_applied_and_why(
    world: World, counter: Container, document: str, ground: Ground, purpose: str, cls: str
) -> None:
    subject = world.resident(world.citizen().resident_id or "")
    applicant_person = world.stranger_to(subject)
    outcome = issue_document(
        counter.issuance,
        principal=world.clerk(),
        cmd=IssueDocument(
            idempotency_key=f"k-third-{cls}",
            document_type=document,
            subject_resident_id=subject.id,
            requester=CounterRequester(applicant_person.name, applicant_person.rrn, True),
            ground=ground,
            purpose=purpose,
        ),
    )
    with counter.uows(readonly=True) as uow:
        applicant = uow.applicants.of_issuance(outcome.record.id)
    assert applicant is not None
    assert applicant.name == applicant_person.name
    assert applicant.rrn_masked == mask(applicant_person.rrn)
    assert applicant.resident_id == applicant_person.id
    assert (applicant.requester_class, applicant.ground, applicant.purpose) == (
        cls,
        ground.value,
        purpose,
    )


def test_online_and_kiosk_applicants_are_the_identified_person(world: World) -> None:
    citizen = world.citizen()
    me = world.resident(citizen.resident_id or "")
    online = issue_document(
        world.container.issuance,
        principal=citizen,
        cmd=IssueDocument(idempotency_key="k-who-online", document_type="deungbon"),
    )
    kiosk = issue_document(
        world.container.issuance,
        principal=world.kiosk(me),
        cmd=IssueDocument(idempotency_key="k-who-kiosk", document_type="deungbon"),
    )
    with world.container.uows(readonly=True) as uow:
        a = uow.applicants.of_issuance(online.record.id)
        b = uow.applicants.of_issuance(kiosk.record.id)
    assert a is not None and b is not None
    assert (a.identification, b.identification) == ("login", "fingerprint")
    assert a.name == b.name == me.name and a.rrn_masked == mask(me.rrn)
    assert a.requester_class == b.requester_class == "self" and a.checked_by is None
