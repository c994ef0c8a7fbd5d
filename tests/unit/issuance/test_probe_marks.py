"""Probe documents' pure rules: who makes one, what it costs, how it verifies, and what
the probe accepts as a PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from minwon.catalog.loader import default_catalog
from minwon.catalog.model import Channel
from minwon.issuance import fees
from minwon.issuance.probes import PROBE_OTHER, PROBE_PEOPLE, PROBE_SELF, is_probe
from minwon.issuance.records import IssuanceRecord, IssuanceStatus
from minwon.issuance.verification import STATUS_LABELS, VerificationStatus, status_of, summarise
from minwon.operations.release.probe import pdf_problem
from minwon.registry.model import Resident
from minwon.registry.rrn import parse

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def _person(probe: bool) -> Resident:
    return Resident("r1", "9001011234568", "김민준", date(1990, 1, 1), "M", "h1", probe=probe)


def _record(**kw: object) -> IssuanceRecord:
    base = IssuanceRecord(
        id="i1",
        number="1234567890123456",
        request_ref="citizen:x|k",
        document_type="chobon",
        subject_ref="resident:probe-self",
        requester_kind="citizen",
        requester_ref="citizen:minwon-probe",
        channel="online",
        office_code="PROBE",
        issued_at=NOW,
        expires_at=NOW + timedelta(days=90),
        snapshot='{"title":"주민등록표 초본","person":{"name":"홍길동"}}',
        content_hash="00" * 32,
        probe=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_only_the_registrys_probe_people_make_a_probe() -> None:
    assert is_probe(_person(True), None) and is_probe(None, _person(True))
    assert is_probe(_person(False), _person(True))
    assert not is_probe(_person(False), _person(False)) and not is_probe(None, None)


def test_the_probe_people_hold_numbers_no_real_person_can_hold() -> None:
    # Born in 1800 (G 9/0): numbers were first issued in 1968, to people alive then.
    for person in PROBE_PEOPLE:
        facts = parse(person.rrn)
        assert facts.birth_date == person.birth_date and facts.birth_date.year == 1800
    assert PROBE_SELF.household_id != PROBE_OTHER.household_id


CHOBON = default_catalog().get("chobon")
OFFERED = [c for c in Channel if CHOBON is not None and CHOBON.offer(c) is not None]


@pytest.mark.parametrize("channel", OFFERED)
def test_a_probe_is_never_charged_whatever_the_listed_fee(channel: Channel) -> None:
    document = CHOBON
    assert document is not None and len(OFFERED) >= 2  # online and counter at least
    listed = fees.charge_for(document, channel, exemption=None, requester_class="self", copies=3)
    free = fees.probe_fee(listed)
    assert free.amount == 0 and free.exemption == fees.PROBE_EXEMPTION
    assert free.per_copy == listed.per_copy


def test_a_valid_probe_verifies_as_probe_never_as_valid() -> None:
    assert status_of(_record(), NOW) is VerificationStatus.PROBE
    assert status_of(_record(probe=False), NOW) is VerificationStatus.VALID
    assert "법적 효력이 없습니다" in STATUS_LABELS[VerificationStatus.PROBE]
    summary = summarise(_record(), NOW, b"k" * 32)
    assert summary.probe and summary.status is VerificationStatus.PROBE


def test_a_voided_or_expired_probe_says_so_and_stays_a_probe() -> None:
    voided = _record(status=IssuanceStatus.VOIDED, voided_at=NOW)
    assert status_of(voided, NOW) is VerificationStatus.VOIDED
    assert status_of(_record(), NOW + timedelta(days=91)) is VerificationStatus.EXPIRED
    assert summarise(voided, NOW, b"k" * 32).probe


@pytest.mark.parametrize(
    ("pdf", "code"),
    [
        (b"", "probe.pdf_size"),
        (b"%PDF-1.7\n" + b"0" * 10_000, "probe.pdf_corrupt"),  # no %%EOF: cut short
        (b"<html>" + b" " * 10_000 + b"%%EOF", "probe.pdf_corrupt"),  # an error page
        (b"%PDF-1.7\n" + b"garbage " * 2_000 + b"\n%%EOF\n", "probe.pdf_corrupt"),
    ],
)
def test_the_probe_refuses_a_pdf_that_is_not_one(pdf: bytes, code: str) -> None:
    problem = pdf_problem(pdf, number="1234567890123456")
    assert problem is not None and problem.code == code
