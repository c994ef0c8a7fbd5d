"""Who applied for an issuance (신청인) and what the issuing side saw. Pure values.

Every issuance records its applicant: name, number (sealed in the vault by the store),
relation to the subject, the rule that allowed it (requester class and ground), purpose,
and the evidence: how the person was identified and by which clerk, the 위임장's date and
scope, whether the delegator's ID was seen, and a proxy's fingerprint as a keyed digest.
Ages come from the 주민등록번호 (birth date from YYMMDD and the century digit), never from a
typed number; a name that contradicts the registry's name for that number is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from minwon.issuance.model import Delegation, Ground, Relation
from minwon.registry.rrn import mask

_SPACES = re.compile(r"\s+")


class Identification(StrEnum):
    """How the applicant was identified."""

    ID_CARD = "id_card"  # 창구: 담당 공무원이 신분증을 확인
    LOGIN = "login"  # 인터넷: 로그인한 본인
    FINGERPRINT = "fingerprint"  # 무인민원발급기: 주민등록번호와 지문


IDENTIFICATION_LABELS = {
    Identification.ID_CARD: "신분증 확인 (창구)",
    Identification.LOGIN: "로그인 (인터넷)",
    Identification.FINGERPRINT: "지문 확인 (무인민원발급기)",
}
RELATION_LABELS = {
    Relation.SELF: "본인",
    Relation.HOUSEHOLD_MEMBER: "세대원",
    Relation.OTHER: "제3자",
}
REQUESTER_CLASS_LABELS = {
    "self": "본인",
    "household_member": "세대원",
    "delegate": "위임받은 대리인",
    "public": "누구나 (공개 문서)",
    Ground.PUBLIC_DUTY.value: "공무 (국가·지방자치단체)",
    Ground.LITIGATION.value: "소송·비송사건·경매",
    Ground.OTHER_LAW.value: "다른 법령의 근거",
    Ground.SUBMISSION_OBLIGED.value: "법령상 제출 의무",
    Ground.KIN.value: "직계혈족·배우자",
    Ground.CREDITOR.value: "채권·채무 관계",
    Ground.PUBLIC_INTEREST.value: "공익 목적",
}


def class_label(requester_class: str | None) -> str:
    """Returns the Korean label of a requester class ('기록 없음' for older issuances)."""
    if requester_class is None:
        return "기록 없음"
    return REQUESTER_CLASS_LABELS.get(requester_class, requester_class)


def same_name(typed: str, registered: str) -> bool:
    """Returns True when a typed name is the registry's name (NFC, spaces ignored)."""

    def canonical(text: str) -> str:
        return _SPACES.sub("", unicodedata.normalize("NFC", text))

    return canonical(typed) == canonical(registered)


@dataclass(frozen=True, slots=True)
class Applicant:
    """The applicant of one issuance, as the issuing transaction records it.

    ``rrn`` is the whole number: the store keeps it only sealed in the vault (with a keyed
    digest and the masked form). ``fingerprint_capture`` is a proxy's fingerprint reading:
    the store keeps only its keyed digest, never the reading.
    """

    name: str
    rrn: str | None
    resident_id: str | None
    relation: Relation
    requester_class: str
    identification: Identification
    id_checked: bool
    checked_by: str | None = None  # the clerk who checked the ID card
    ground: Ground | None = None
    purpose: str | None = None
    delegation: Delegation | None = None
    delegate_id_checked: bool | None = None
    delegator_id_checked: bool | None = None
    fingerprint_taken: bool | None = None
    fingerprint_capture: str | None = None


@dataclass(frozen=True, slots=True)
class ApplicantRecord:
    """An applicant as stored and shown to clerks: the number masked, the fingerprint as
    a digest."""

    issuance_id: str
    name: str
    rrn_masked: str | None
    resident_id: str | None
    relation: str
    requester_class: str
    identification: str
    id_checked: bool
    checked_by: str | None
    ground: str | None
    purpose: str | None
    delegation_written_on: date | None
    delegation_valid_until: date | None
    delegation_scope: tuple[str, ...]
    delegator_id_seen: bool | None
    delegate_id_checked: bool | None
    delegator_id_checked: bool | None
    fingerprint_taken: bool | None
    fingerprint_digest: str | None
    recorded_at: datetime

    @property
    def relation_label(self) -> str:
        try:
            return RELATION_LABELS[Relation(self.relation)]
        except ValueError:
            return self.relation

    @property
    def class_label(self) -> str:
        return class_label(self.requester_class)

    @property
    def identification_label(self) -> str:
        try:
            return IDENTIFICATION_LABELS[Identification(self.identification)]
        except ValueError:
            return self.identification


@dataclass(frozen=True, slots=True)
class CopyObtained:
    """One issuance about a subject, as the subject may see it: when, where, what, in which
    capacity and why; never who by number."""

    issued_at: datetime
    document_type: str
    office_code: str
    channel: str
    status: str
    requester_class: str | None
    purpose: str | None
    applicant_resident_id: str | None
    requester_ref: str  # the signed-in account or device that asked


def refused_applicant(applicant: Applicant) -> dict[str, Any]:
    """Returns who asked, for a refusal's audit event: name, masked number, how checked."""
    rrn = applicant.rrn
    return {
        "name": applicant.name,
        "rrn": mask(rrn) if rrn else None,
        "identification": applicant.identification.value,
        "checked_by": applicant.checked_by,
    }


def audit_detail(applicant: Applicant, rrn_masked: str | None) -> dict[str, Any]:
    """Returns the applicant as the audit event records it: the number masked, the
    fingerprint only as 'taken' and 'read' (the digest stays in its table)."""
    delegation = applicant.delegation
    return {
        "name": applicant.name,
        "rrn": rrn_masked,
        "relation": applicant.relation.value,
        "requester_class": applicant.requester_class,
        "identification": applicant.identification.value,
        "id_checked": applicant.id_checked,
        "checked_by": applicant.checked_by,
        "delegation": (
            {
                "written_on": delegation.written_on.isoformat(),
                "valid_until": (
                    delegation.valid_until.isoformat() if delegation.valid_until else None
                ),
                "scope": list(delegation.document_types),
                "delegator_id_seen": delegation.delegator_id_seen,
            }
            if delegation
            else None
        ),
        "proxy": (
            {
                "delegate_id_checked": applicant.delegate_id_checked,
                "delegator_id_checked": applicant.delegator_id_checked,
                "fingerprint_taken": applicant.fingerprint_taken,
                "fingerprint_read": applicant.fingerprint_capture is not None,
            }
            if applicant.fingerprint_taken is not None
            else None
        ),
    }
