"""Who may read which issuance through the API, tried as the people the issue names would.

- Two people served one after the other at the same kiosk: the second lists, reads and
  downloads nothing of the first's (full 주민등록번호 in the snapshot), not even by
  replaying the first's Idempotency-Key; the first, back at the kiosk, starts afresh too.
- A 완산구 supervisor reads, downloads, voids and lists nothing of a 덕진구 office, and
  each refusal is in the audit trail; the 덕진구 supervisor can.
- A plain clerk sees their own office only; a supervisor, their district.
- The read-only auditor reads every office's records city-wide, issues and voids nothing,
  and every read and refusal is audited.

On SQLite and PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.audit.model import AuditEvent
from minwon.demo import DEMO_KIOSK_KEYS, DEMO_PASSWORD, jeonju
from minwon.errors import NotFound
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.commands import IssueDocument
from minwon.issuance.reading import issuance_for, issuances_of
from minwon.issuance.records import IssuanceRecord
from minwon.issuance.services import issue_document
from minwon.registry.model import Resident
from minwon.web.app import create_app
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"


def _check_error(response: httpx.Response) -> None:
    if response.status_code >= 400:
        response.read()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert_no_full_number(response.text, f"{response.request.url.path} answer")


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container)) as client:
        client.event_hooks = {"request": [], "response": [_check_error]}
        yield client


def _login(api: TestClient, username: str, kind: str = "clerk") -> dict[str, str]:
    response = api.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _at_kiosk(api: TestClient, world: World, person: Resident, device: str) -> dict[str, str]:
    response = api.post(
        f"{API}/auth/kiosk",
        json={"rrn": person.rrn, "fingerprint": world.fingerprint(person)},
        headers={"X-Kiosk-Device": device, "X-Kiosk-Key": DEMO_KIOSK_KEYS[device]},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _person(world: World, citizen: str) -> Resident:
    return world.resident(world.citizen(citizen).resident_id or "")


def _kiosk_record(world: World, citizen: str, device: str, key: str) -> IssuanceRecord:
    """A 등본 issued at a kiosk: kiosk-01 is 완산구청's, kiosk-02 덕진구청's."""
    principal = world.kiosk(_person(world, citizen), device, session=f"s-{key}")
    cmd = IssueDocument(idempotency_key=key, document_type="deungbon")
    return issue_document(world.container.issuance, principal=principal, cmd=cmd).record


def _events(world: World, actor: str, action: str | None = None) -> list[AuditEvent]:
    with world.container.uows(readonly=True) as uow:
        events = uow.audit.events(action=action)
    return [e for e in events if e.actor_id == actor]


def _status(api: TestClient, response: httpx.Response, status: int, code: str) -> Any:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    return response.json()


# --- kiosk sessions -----------------------------------------------------------------------


def test_the_next_person_at_a_kiosk_sees_nothing_the_previous_one_obtained(
    api: TestClient, world: World
) -> None:
    first, second = _person(world, "citizen1"), _person(world, "citizen2")
    assert first.household_id != second.household_id
    a = _at_kiosk(api, world, first, "kiosk-01")
    issued = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**a, "Idempotency-Key": "kiosk-first-0001"},
    )
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    first_digits = first.rrn.replace("-", "")

    b = _at_kiosk(api, world, second, "kiosk-01")
    listed = api.get(f"{API}/issuances", headers=b)
    assert listed.status_code == 200 and listed.json() == []
    for path in (f"{API}/issuances/{number}", f"{API}/issuances/{number}/pdf"):
        answer = api.get(path, headers=b)
        _status(api, answer, 404, "issuance.not_found")
        assert first_digits not in answer.text and first.rrn not in answer.text
    # The same key and body from the next person is their own request, not a replay.
    replay = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**b, "Idempotency-Key": "kiosk-first-0001"},
    )
    assert replay.status_code == 201, replay.text
    assert replay.json()["number"] != number and replay.headers["Idempotent-Replayed"] == "false"
    assert first_digits not in replay.text

    # The first person's own session still has it.
    assert [e["number"] for e in api.get(f"{API}/issuances", headers=a).json()] == [number]
    assert api.get(f"{API}/issuances/{number}", headers=a).status_code == 200
    # Identified again later, they start a new session: the old one's documents are gone.
    again = _at_kiosk(api, world, first, "kiosk-01")
    assert api.get(f"{API}/issuances", headers=again).json() == []
    _status(api, api.get(f"{API}/issuances/{number}", headers=again), 404, "issuance.not_found")


def test_a_kiosk_session_without_its_own_id_sees_nothing(world: World) -> None:
    # A session opened before sessions had ids (or any principal without one) matches no
    # issuance, not even another id-less one's at the same kiosk.
    person = _person(world, "citizen1")
    office = jeonju.GU_OFFICE_CODES[jeonju.WANSAN]
    bare = Principal(PrincipalKind.KIOSK, "kiosk-01", office_code=office, resident_id=person.id)
    record = issue_document(
        world.container.issuance,
        principal=bare,
        cmd=IssueDocument(idempotency_key="kiosk-bare-0001", document_type="deungbon"),
    ).record
    assert issuances_of(world.container.issuance, principal=bare) == []
    with pytest.raises(NotFound):
        issuance_for(world.container.issuance, principal=bare, number=record.number)


# --- districts, offices, the auditor ------------------------------------------------------


def test_a_supervisor_of_one_district_cannot_touch_the_other_districts_records(
    api: TestClient, world: World
) -> None:
    record = _kiosk_record(world, "citizen3", "kiosk-02", "deokjin-0001")  # 덕진구청
    wansan = _login(api, "supervisor")
    path = f"{API}/issuances/{record.number}"
    _status(api, api.get(path, headers=wansan), 404, "issuance.not_found")
    _status(api, api.get(f"{path}/pdf", headers=wansan), 404, "issuance.not_found")
    voided = api.post(f"{path}/void", json={"reason": "다른 구 문서 취소 시도"}, headers=wansan)
    _status(api, voided, 403, "void.other_office")
    register = api.get(f"{API}/offices/{record.office_code}/register", headers=wansan)
    _status(api, register, 403, "register.other_office")
    assert api.get(f"{API}/verify/{record.number}").json()["status"] == "valid"

    denied = _events(world, "supervisor", "deny")
    assert {e.detail["attempt"] for e in denied} == {"read", "download", "register"}
    on_record = [e for e in denied if e.detail["attempt"] != "register"]
    assert all(e.subject_ref == record.subject_ref for e in on_record)
    assert all(e.issuance_id == record.id and e.channel == "counter" for e in on_record)
    (failed,) = _events(world, "supervisor", "void")
    assert failed.outcome == "void.other_office" and failed.subject_ref == record.subject_ref

    deokjin = _login(api, "supervisor-deokjin")
    assert api.get(path, headers=deokjin).status_code == 200
    assert (
        api.get(f"{API}/offices/{record.office_code}/register", headers=deokjin).status_code == 200
    )
    done = api.post(f"{path}/void", json={"reason": "덕진구 감독 취소"}, headers=deokjin)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "voided"


def test_a_clerk_sees_their_own_office_and_a_supervisor_their_district(world: World) -> None:
    gu_office = _kiosk_record(world, "citizen1", "kiosk-01", "wansan-0001")  # 완산구청
    assert gu_office.office_code == jeonju.GU_OFFICE_CODES[jeonju.WANSAN]
    ctx = world.container.issuance
    dong = jeonju.WANSAN_DONGS[1].code

    def staff(role: str, office: str) -> Principal:
        return Principal(PrincipalKind.CLERK, f"{role}-{office}", office_code=office, role=role)

    with pytest.raises(NotFound):  # a 완산구 dong's clerk: another office
        issuance_for(ctx, principal=staff("clerk", dong), number=gu_office.number)
    with pytest.raises(NotFound):  # a role this code does not know gets a clerk's scope
        issuance_for(ctx, principal=staff("superuser", dong), number=gu_office.number)
    seen = issuance_for(ctx, principal=staff("supervisor", dong), number=gu_office.number)
    assert seen.id == gu_office.id
    for office in (jeonju.DEOKJIN_DONGS[3].code, jeonju.CITY_HALL_CODE):
        with pytest.raises(NotFound):
            issuance_for(ctx, principal=staff("supervisor", office), number=gu_office.number)


def test_internet_documents_are_voided_by_the_city_hall_not_by_a_dong_supervisor(
    api: TestClient, world: World
) -> None:
    citizen = _login(api, "citizen1", "citizen")
    issued = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**citizen, "Idempotency-Key": "online-void-0001"},
    ).json()
    path = f"{API}/issuances/{issued['number']}/void"
    for dong in ("supervisor", "supervisor-deokjin"):
        tried = api.post(path, json={"reason": "취소 시도"}, headers=_login(api, dong))
        _status(api, tried, 403, "void.other_office")
    city = api.post(path, json={"reason": "시청 취소"}, headers=_login(api, "supervisor-city"))
    assert city.status_code == 200 and city.json()["status"] == "voided"


def test_the_auditor_reads_city_wide_changes_nothing_and_every_read_is_audited(
    api: TestClient, world: World
) -> None:
    wansan = _kiosk_record(world, "citizen1", "kiosk-01", "audit-wansan-1")
    deokjin = _kiosk_record(world, "citizen2", "kiosk-02", "audit-deokjin-1")
    citizen = _login(api, "citizen3", "citizen")
    online = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**citizen, "Idempotency-Key": "audit-online-01"},
    ).json()
    auditor = _login(api, "auditor")
    numbers = [wansan.number, deokjin.number, online["number"]]
    for number in numbers:
        shown = api.get(f"{API}/issuances/{number}", headers=auditor)
        assert shown.status_code == 200, shown.text
    pdf = api.get(f"{API}/issuances/{deokjin.number}/pdf", headers=auditor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    register = api.get(f"{API}/offices/{deokjin.office_code}/register", headers=auditor)
    assert [e["number"] for e in register.json()] == [deokjin.number]

    before = world.count(t.issuances)
    void = api.post(
        f"{API}/issuances/{deokjin.number}/void", json={"reason": "감사 중 취소"}, headers=auditor
    )
    _status(api, void, 403, "auth.read_only")
    issue = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon", "subject_resident_id": deokjin.subject_ref[9:]},
        headers={**auditor, "Idempotency-Key": "auditor-issue-01"},
    )
    _status(api, issue, 403, "auth.read_only")
    assert world.count(t.issuances) == before
    assert api.get(f"{API}/verify/{deokjin.number}").json()["status"] == "valid"

    reads = _events(world, "auditor", "read")
    assert sorted(e.detail["record_office"] for e in reads) == sorted(
        [wansan.office_code, deokjin.office_code, online["office_code"]]
    )
    assert {e.issuance_id for e in reads} == {wansan.id, deokjin.id, online["id"]}
    assert all(e.channel == "counter" and e.detail["role"] == "auditor" for e in reads)
    assert all(e.office_code == jeonju.CITY_HALL_CODE for e in reads)
    (download,) = _events(world, "auditor", "download")
    assert download.issuance_id == deokjin.id and download.subject_ref == deokjin.subject_ref
    (listed,) = _events(world, "auditor", "register")
    assert listed.detail["office"] == deokjin.office_code and listed.detail["count"] == 1
    (refused_void,) = _events(world, "auditor", "void")
    assert refused_void.outcome == "auth.read_only" and refused_void.issuance_id == deokjin.id
    (refused_issue,) = _events(world, "auditor", "deny")
    assert refused_issue.outcome == "auth.read_only" and refused_issue.detail["attempt"] == "issue"
