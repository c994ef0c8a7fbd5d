"""Who is asking, for what, and what the statute answers. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from minwon.catalog.model import Channel, DocumentType

ItemValue = str | bool


class Relation(StrEnum):
    """The requester's relation to the subject, as the registry shows it."""

    SELF = "self"  # 본인
    HOUSEHOLD_MEMBER = "household_member"  # 세대원
    OTHER = "other"  # anyone else: needs a delegation or a ground


class Ground(StrEnum):
    """주민등록법 제29조② grounds on which someone other than 본인·세대원 may request."""

    PUBLIC_DUTY = "public_duty"  # 1호: 국가·지자체의 공무
    LITIGATION = "litigation"  # 2호 가목: 소송·비송사건·경매
    OTHER_LAW = "other_law"  # 2호 나목: 다른 법령의 근거
    SUBMISSION_OBLIGED = "submission_obliged"  # 3호: 법령상 제출 의무
    KIN = "kin"  # 4호: 직계혈족·배우자 (세대원 아닌)
    CREDITOR = "creditor"  # 2호 다목·시행령 제47조: 채권·채무 관계
    PUBLIC_INTEREST = "public_interest"  # 5호: 공익 목적


@dataclass(frozen=True, slots=True)
class Delegation:
    """위임장: the subject (위임인) authorises a delegate (대리인)."""

    written_on: date
    document_types: tuple[str, ...]
    delegator_id_seen: bool  # 위임인의 신분증(사본) 확인
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class ProxyFacts:
    """What the counter checked about a person acting for someone else (인감 대리 발급).

    ``age`` comes from the proxy's own 주민등록번호 (None: no number was given), never
    from a number someone typed.
    """

    age: int | None
    delegate_id_checked: bool
    delegator_id_checked: bool
    fingerprint_taken: bool


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """Registry facts the rules need about the subject, read before deciding."""

    has_active_seal: bool = True
    tax_arrears: int = 0
    alive: bool = True


@dataclass(frozen=True, slots=True)
class EntitlementRequest:
    """Everything entitlement needs, as plain values; nothing is looked up inside."""

    document: DocumentType
    channel: Channel
    relation: Relation
    today: date
    requester_identified: bool = True
    # False when the name given contradicts the registry's name for the number given.
    requester_name_matches: bool = True
    delegation: Delegation | None = None
    ground: Ground | None = None
    purpose: str | None = None
    items: Mapping[str, ItemValue] = field(default_factory=dict)
    proxy: ProxyFacts | None = None
    subject: SubjectFacts = field(default_factory=SubjectFacts)


@dataclass(frozen=True, slots=True)
class Permit:
    """Issue, showing exactly ``items``; ``requester_class`` says which rule allowed it."""

    requester_class: str  # self | household_member | delegate | <ground> | public
    items: Mapping[str, ItemValue]
    show_rrn_back: bool
    print_purpose: bool
    basis: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Do not issue. ``code`` is stable; ``basis`` names the law; ``detail`` is Korean."""

    code: str
    basis: str
    detail: str


Decision = Permit | Refusal
