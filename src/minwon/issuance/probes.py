"""Probe documents: what the release probe issues to check a build end to end. Pure.

A release canary must issue and verify a real document before it takes live traffic
(issue 12), on a production database that has no demo data. So the probe has its own
synthetic people, its own sign-in account and its own issuing office, created by
``minwon probe setup``:

- 홍길동 and 성춘향 (the sample names of Korean forms) in two households at an address that
  says it does not exist. Their numbers are born 1800-01-01 and 1800-01-02: numbers were
  first issued in 1968, to people alive then, so no real person holds either.
- Anything issued about them or at their request is a probe document, whoever asks:
  marked (``issuances.probe``, the snapshot's ``probe_mark`` printed on every page),
  never charged (a zero fee row, ``fees.probe_fee``), issued at the probe office, in no
  register, list or notice, and verified as "시험 발급", never as "유효". The audit trail
  records it like any issuance, marked as a probe.

Whether an issuance is a probe comes from the registry (``Resident.probe``), never from
the request: no client can make its document a probe, and the probe cannot make its
document a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from minwon.registry.model import Office, Resident

PROBE_MARK = "시험 발급 – 법적 효력 없음"
# What the verification says of a valid probe document, to a person and to a machine.
PROBE_STATUS_LABEL = "시험 발급 문서입니다 – 법적 효력이 없습니다"
PROBE_PDF_KEY = "MinwonProbe"  # the PDF's info dictionary carries it (machine-readable)
PROBE_PDF_VALUE = "test-issuance-no-legal-effect"

PROBE_OFFICE = Office(
    code="PROBE",
    name="시험 발급 전용 기관 (실제 기관 아님)",
    head_title="시험 발급 점검용",
    # No supervisor's district: only the city-wide auditor sees the probe office's trail.
    district="시험",
)
PROBE_USERNAME = "minwon-probe"
PROBE_DOCUMENT = "chobon"  # 주민등록표 초본: online, 본인, free; every build serves it
ADDRESS = "전북특별자치도 전주시 시험구 시험발급로 0 (실존하지 않는 주소)"


@dataclass(frozen=True, slots=True)
class ProbePerson:
    """One of the probe's synthetic residents, with the household that is theirs alone."""

    resident_id: str
    household_id: str
    name: str
    rrn: str  # synthetic, born in 1800 (see the module docstring)
    birth_date: date
    sex: str


PROBE_SELF = ProbePerson(
    "probe-self", "probe-household-1", "홍길동", "000101-9000010", date(1800, 1, 1), "M"
)
# Another household: the probe asks for this person's 초본 online and must be refused
# (주민등록법 제29조③: electronic documents for 본인 and 세대원 only).
PROBE_OTHER = ProbePerson(
    "probe-other", "probe-household-2", "성춘향", "000102-0000019", date(1800, 1, 2), "F"
)
PROBE_PEOPLE = (PROBE_SELF, PROBE_OTHER)
EXPECTED_REFUSAL = "entitlement.self_or_household_only"


def is_probe(*people: Resident | None) -> bool:
    """Returns True when the requester or the subject is one of the probe's people."""
    return any(person is not None and person.probe for person in people)
