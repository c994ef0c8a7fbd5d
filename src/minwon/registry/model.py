"""The resident registry as plain values. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Resident:
    """A registered person. ``rrn`` is the full 13-digit number: handle with care."""

    id: str
    rrn: str
    name: str
    birth_date: date
    sex: str
    household_id: str | None
    foreign: bool = False
    alive: bool = True
    probe: bool = False  # one of the release probe's synthetic people (issuance/probes.py)


def age_on(birth: date, day: date) -> int:
    """Returns the full years (만 나이) of someone born on ``birth`` on ``day``."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class Household:
    """세대: one registered household at one address."""

    id: str
    head_resident_id: str
    address: str
    dong_code: str
    formed_on: date
    formation_reason: str


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    """세대원: a person in a household and their relation to the head (세대주와의 관계)."""

    household_id: str
    resident_id: str
    relation_to_head: str
    joined_on: date
    change_reason: str
    cohabitant: bool = False


@dataclass(frozen=True, slots=True)
class AddressEntry:
    """One line of a person's address history (주소 변동 사항)."""

    resident_id: str
    seq: int
    address: str
    moved_in_on: date
    reason: str
    head_name: str
    head_relation: str


@dataclass(frozen=True, slots=True)
class SealRegistration:
    """인감 신고: the seal a person registered, at which office, and its impression."""

    resident_id: str
    registered_on: date
    office_code: str
    seal_description: str
    active: bool = True
    impression_png: bytes | None = None  # the registered impression (인영) as a PNG


@dataclass(frozen=True, slots=True)
class TaxRecord:
    """One local-tax assessment and what remains unpaid (체납액)."""

    resident_id: str
    tax_year: int
    tax_kind: str
    assessed: int
    paid: int
    due_on: date

    @property
    def arrears(self) -> int:
        return max(0, self.assessed - self.paid)


@dataclass(frozen=True, slots=True)
class Building:
    """건축물대장: a public record of one building."""

    id: str
    register_number: str
    address: str
    dong_code: str
    owner_name: str
    main_use: str
    structure: str
    floors_above: int
    floors_below: int
    floor_area_m2: float
    site_area_m2: float
    approved_on: date


@dataclass(frozen=True, slots=True)
class Office:
    """An issuing office (동 주민센터, 구청, 시청)."""

    code: str
    name: str
    head_title: str
    district: str
