"""Document types as data: what a type shows, who may ask for it, where, and for how much."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    """Where a document is requested: 창구, 무인민원발급기, 인터넷."""

    COUNTER = "counter"
    KIOSK = "kiosk"
    ONLINE = "online"


class Access(StrEnum):
    """Which statute decides who may request a type (see issuance.entitlement)."""

    RESIDENT_RECORD = "resident_record"  # 주민등록법 제29조: 등본·초본
    SEAL = "seal"  # 인감증명법: 인감증명서
    TAXPAYER = "taxpayer"  # 지방세징수법 제5조: 납세증명서
    PUBLIC = "public"  # 건축법 제38조: 건축물대장, anyone


class Subject(StrEnum):
    RESIDENT = "resident"
    BUILDING = "building"


@dataclass(frozen=True, slots=True)
class Item:
    """A selectable item on the request form (e.g. 과거의 주소 변동 사항).

    ``restricted_to`` lists requester classes (self, household_member, delegate,
    public_duty, ...) that may see the item; empty means everyone the document is for.
    """

    code: str
    label: str
    kind: str  # "flag" or "choice"
    default: str | bool
    choices: tuple[tuple[str, str], ...] = ()
    restricted_to: tuple[str, ...] = ()
    basis: str = ""
    help: str = ""

    def accepts(self, value: object) -> bool:
        if self.kind == "flag":
            return isinstance(value, bool)
        return isinstance(value, str) and value in {c for c, _ in self.choices}


@dataclass(frozen=True, slots=True)
class ChannelOffer:
    channel: Channel
    fee: int


@dataclass(frozen=True, slots=True)
class Exemption:
    code: str
    label: str
    basis: str


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str
    title: str
    title_on_document: str
    subject: Subject
    access: Access
    template: str
    sections: tuple[str, ...]
    valid_days: int
    offers: tuple[ChannelOffer, ...]
    items: tuple[Item, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    creditor_may_request: bool = False
    delegation_valid_months: int | None = None
    notify_subject: bool = False
    # 주민등록표 등·초본 교부 사실 통보: a subject who subscribed is told when someone other
    # than 본인 or a 세대원 obtains a copy.
    notify_subscribers: bool = False
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def offer(self, channel: Channel) -> ChannelOffer | None:
        """Returns the offer for ``channel`` or None when the type is not served there."""
        for offer in self.offers:
            if offer.channel == channel:
                return offer
        return None

    def item(self, code: str) -> Item | None:
        for item in self.items:
            if item.code == code:
                return item
        return None

    def defaults(self) -> dict[str, str | bool]:
        return {item.code: item.default for item in self.items}
