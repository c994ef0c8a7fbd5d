"""Probe documents through the services, on SQLite and on a real PostgreSQL.

Given a registry with the release probe installed (``minwon probe setup``): what the
probe issues is marked, free, issued at the probe office and verified as a test document;
it is in no register, list or notice, but the audit trail has it, marked. Whoever issues
about the probe's people gets a probe document; nobody else ever does.
"""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from minwon.adapters import tables as t
from minwon.adapters.probe_fixtures import ProbeSetupError, install_probe
from minwon.errors import Refused
from minwon.identity.model import Principal
from minwon.identity.passwords import hash_password
from minwon.issuance.applicants import copies_of_my_records
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.probes import (
    EXPECTED_REFUSAL,
    PROBE_MARK,
    PROBE_OFFICE,
    PROBE_OTHER,
    PROBE_SELF,
    PROBE_USERNAME,
)
from minwon.issuance.reading import issuances_of, office_register
from minwon.issuance.services import issue_document
from minwon.issuance.verification import VerificationStatus, verify_number
from support.binaries import require
from support.world import World


@pytest.fixture
def probe(world: World) -> Principal:
    install_probe(world.container.engine, world.container.vault, password_hash=hash_password("x"))
    with world.container.uows(readonly=True) as uow:
        account = uow.identity.citizen(PROBE_USERNAME)
    assert account is not None
    return account.as_citizen()


def _chobon(key: str, **kw: object) -> IssueDocument:
    return IssueDocument(idempotency_key=key, document_type="chobon", **kw)  # type: ignore[arg-type]


def _today_register(world: World, office: str) -> list[str]:
    auditor = world.clerk("auditor")  # city-wide: sees every office's register
    entries = office_register(world.container.issuance, principal=auditor, office_code=office)
    return [e.record.number for e in entries]


def test_probe_issuance_is_marked_free_and_at_the_probe_office(
    world: World, probe: Principal
) -> None:
    outcome = issue_document(world.container.issuance, principal=probe, cmd=_chobon("probe-k-0001"))
    record = outcome.record
    assert record.probe and record.office_code == PROBE_OFFICE.code
    assert record.snapshot_data()["probe_mark"] == PROBE_MARK
    assert record.snapshot_data()["fee"] == 0
    assert outcome.fee.amount == 0 and outcome.fee.exemption == "probe"
    with world.container.engine.connect() as conn:
        row = conn.execute(select(t.issuances.c.probe).where(t.issuances.c.id == record.id)).one()
        fees = conn.execute(select(t.fees).where(t.fees.c.issuance_id == record.id)).all()
    assert row.probe is True
    assert [(f.amount, f.exemption) for f in fees] == [(0, "probe")]
    replay = issue_document(world.container.issuance, principal=probe, cmd=_chobon("probe-k-0001"))
    assert replay.replayed and replay.record.number == record.number and replay.fee.amount == 0


def test_a_probe_document_is_in_no_register_list_or_notice_but_in_the_audit_trail(
    world: World, probe: Principal
) -> None:
    ctx = world.container.issuance
    notices_before = world.count(t.notifications)
    real = issue_document(ctx, principal=world.citizen(), cmd=_chobon("real-k-0001")).record
    fake = issue_document(ctx, principal=probe, cmd=_chobon("probe-k-0002")).record
    assert _today_register(world, PROBE_OFFICE.code) == []
    assert _today_register(world, real.office_code) == [real.number]
    assert issuances_of(ctx, principal=probe) == []
    assert [e.record.number for e in issuances_of(ctx, principal=world.citizen())] == [real.number]
    assert copies_of_my_records(ctx, principal=probe) == []
    assert world.count(t.notifications) == notices_before
    with world.container.uows(readonly=True) as uow:
        issued = {e.issuance_id: e for e in uow.audit.events(action="issue")}
    assert issued[fake.id].detail["probe"] is True
    assert issued[fake.id].office_code == PROBE_OFFICE.code
    assert "probe" not in issued[real.id].detail


def test_the_probe_is_refused_another_households_chobon_and_the_refusal_is_marked(
    world: World, probe: Principal
) -> None:
    cmd = _chobon("probe-k-0003", subject_resident_id=PROBE_OTHER.resident_id)
    with pytest.raises(Refused) as refused:
        issue_document(world.container.issuance, principal=probe, cmd=cmd)
    assert refused.value.code == EXPECTED_REFUSAL
    with world.container.uows(readonly=True) as uow:
        events = uow.audit.events(action="refuse")
    assert events[-1].detail["probe"] is True


def test_verifying_a_probe_document_says_it_is_a_test_document(
    world: World, probe: Principal
) -> None:
    record = issue_document(
        world.container.issuance, principal=probe, cmd=_chobon("probe-k-0004")
    ).record
    answer = verify_number(world.container.issuance, number_text=record.number)
    assert answer.status is VerificationStatus.PROBE and answer.probe
    assert "법적 효력이 없습니다" in answer.status_label


def test_a_clerk_issuing_about_a_probe_person_issues_a_probe_document(
    world: World, probe: Principal
) -> None:
    clerk = world.clerk()
    cmd = IssueDocument(
        idempotency_key="counter-probe-01",
        document_type="chobon",
        requester=CounterRequester(PROBE_SELF.name, PROBE_SELF.rrn, True),
    )
    outcome = issue_document(world.container.issuance, principal=clerk, cmd=cmd)
    assert outcome.record.probe and outcome.fee.amount == 0
    assert outcome.record.office_code == PROBE_OFFICE.code
    assert _today_register(world, clerk.office_code or "") == []


def test_a_real_citizens_document_is_never_a_probe(world: World, probe: Principal) -> None:
    outcome = issue_document(
        world.container.issuance, principal=world.citizen("citizen2"), cmd=_chobon("real-k-0002")
    )
    assert not outcome.record.probe and outcome.fee.exemption is None
    assert "probe_mark" not in outcome.record.snapshot_data()
    answer = verify_number(world.container.issuance, number_text=outcome.record.number)
    assert answer.status is VerificationStatus.VALID and not answer.probe


def test_the_probe_pdf_says_on_its_face_that_it_has_no_legal_effect(
    world: World, probe: Principal, tmp_path: object
) -> None:
    pdftotext = require("pdftotext")  # poppler-utils: fails in CI if missing
    from minwon.issuance.documents import document_pdf

    ctx = world.container.issuance
    fake = issue_document(ctx, principal=probe, cmd=_chobon("probe-k-0005")).record
    real = issue_document(ctx, principal=world.citizen(), cmd=_chobon("real-k-0003")).record

    def text(pdf: bytes) -> str:
        done = subprocess.run(
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True, timeout=30
        )
        return done.stdout.decode("utf-8")

    fake_pdf, real_pdf = document_pdf(ctx, fake), document_pdf(ctx, real)
    assert "법적 효력 없음" in text(fake_pdf) and "시험 발급" in text(fake_pdf)
    assert b"/MinwonProbe" in fake_pdf
    assert "법적 효력 없음" not in text(real_pdf) and b"/MinwonProbe" not in real_pdf


def test_setup_runs_again_and_refuses_a_username_someone_else_holds(
    world: World, probe: Principal
) -> None:
    engine, vault = world.container.engine, world.container.vault
    again = install_probe(engine, vault, password_hash=hash_password("y"))
    assert not again.created
    with world.container.uows(readonly=True) as uow:
        assert uow.registry.resident(PROBE_SELF.resident_id).probe  # type: ignore[union-attr]
    with engine.begin() as conn:
        conn.execute(
            t.citizen_accounts.update()
            .where(t.citizen_accounts.c.username == PROBE_USERNAME)
            .values(username="renamed-probe")
        )
        citizen1 = conn.execute(
            select(t.citizen_accounts.c.resident_id).where(
                t.citizen_accounts.c.username == "citizen1"
            )
        ).scalar_one()
        conn.execute(
            t.citizen_accounts.update()
            .where(t.citizen_accounts.c.username == "citizen1")
            .values(username=PROBE_USERNAME)
        )
    with pytest.raises(ProbeSetupError) as taken:
        install_probe(engine, vault, password_hash=hash_password("z"))
    assert taken.value.code == "probe.username_taken"
    assert citizen1 not in str(taken.value)
