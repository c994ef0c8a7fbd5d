"""Builds the frozen snapshot a document shows. Pure: registry values in, JSON-able dict out.

Each catalog type lists its ``sections``; every section has one builder here, so a new
document type that reuses sections needs only a catalog file and a template.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from minwon.catalog.model import Channel, DocumentType
from minwon.clock import KST
from minwon.issuance.model import Permit
from minwon.periods import end_of_days, last_day_of_days
from minwon.registry.model import (
    AddressEntry,
    Building,
    Household,
    HouseholdMember,
    Office,
    Resident,
    SealRegistration,
    TaxRecord,
)
from minwon.registry.rrn import mask

SCHEMA_VERSION = 1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PROVINCE = "전북특별자치도"
CHANNEL_LABELS = {
    Channel.COUNTER: "창구",
    Channel.KIOSK: "무인민원발급기",
    Channel.ONLINE: "인터넷",
}


@dataclass(frozen=True, slots=True)
class PartyInfo:
    """Someone printed on a document who is not in the registry lookup (buyer, proxy)."""

    name: str
    rrn_masked: str
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Dossier:
    """What the registry holds about the subject, read in the issuing transaction."""

    subject: Resident | None = None
    household: Household | None = None
    members: tuple[tuple[HouseholdMember, Resident], ...] = ()
    addresses: tuple[AddressEntry, ...] = ()
    head_addresses: tuple[AddressEntry, ...] = ()
    seal: SealRegistration | None = None
    taxes: tuple[TaxRecord, ...] = ()
    building: Building | None = None
    seal_office_name: str | None = None
    buyer: PartyInfo | None = None
    proxy: PartyInfo | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SnapshotInput:
    document: DocumentType
    permit: Permit
    dossier: Dossier
    number: str
    issued_at: datetime
    channel: Channel
    office: Office
    fee: int
    purpose: str | None
    verify_url: str


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _since(choice: object, today: date) -> date | None:
    """Returns the first day of the window a past-address choice shows (None: show all)."""
    if choice == "recent5":
        try:
            return today.replace(year=today.year - 5)
        except ValueError:  # 29 February
            return today.replace(year=today.year - 5, day=28)
    return None


def _lived_since(history: Sequence[AddressEntry], since: date | None) -> list[AddressEntry]:
    """Returns the addresses of ``history`` (oldest first) lived at on or after ``since``.

    An address belongs to the window when the time lived there overlaps it: it ended (the
    next address's move-in date) on or after ``since``, however long before that it began.
    The last address is the current one and never ended.
    """
    if since is None:
        return list(history)
    return [
        entry
        for entry, following in zip(history, [*history[1:], None], strict=True)
        if following is None or following.moved_in_on >= since
    ]


def _person(inp: SnapshotInput) -> dict[str, Any]:
    subject = inp.dossier.subject
    assert subject is not None
    address = inp.dossier.household.address if inp.dossier.household else None
    return {
        "person": {
            "name": subject.name,
            "rrn": mask(subject.rrn, show_back=inp.permit.show_rrn_back),
            "address": address,
        }
    }


def _household(inp: SnapshotInput) -> dict[str, Any]:
    hh = inp.dossier.household
    assert hh is not None
    show_formation = bool(inp.permit.items.get("formation_reason"))
    head = next((r for m, r in inp.dossier.members if m.resident_id == hh.head_resident_id), None)
    return {
        "household": {
            "head_name": head.name if head else "",
            "address": hh.address,
            "formed_on": _iso(hh.formed_on) if show_formation else None,
            "formation_reason": hh.formation_reason if show_formation else None,
        }
    }


def _members(inp: SnapshotInput) -> dict[str, Any]:
    items = inp.permit.items
    subject_id = inp.dossier.subject.id if inp.dossier.subject else None
    rows = []
    for member, resident in inp.dossier.members:
        if member.cohabitant and not items.get("cohabitants"):
            continue
        if resident.foreign and not items.get("foreign_family"):
            continue
        is_subject = resident.id == subject_id
        show_name = is_subject or bool(items.get("other_member_names"))
        rows.append(
            {
                "relation": member.relation_to_head if items.get("relation_to_head") else None,
                "name": resident.name if show_name else None,
                "rrn": mask(resident.rrn, show_back=inp.permit.show_rrn_back),
                "moved_in_on": _iso(member.joined_on) if items.get("change_dates") else None,
                "change_reason": member.change_reason if items.get("change_dates") else None,
            }
        )
    return {"members": rows}


def _past_addresses(inp: SnapshotInput) -> dict[str, Any]:
    choice = inp.permit.items.get("past_addresses", "none")
    if choice == "none":
        return {"past_addresses": []}
    since = _since(choice, inp.issued_at.astimezone(KST).date())
    lived = _lived_since(inp.dossier.head_addresses, since)[:-1]  # the last one is current
    return {
        "past_addresses": [
            {"address": a.address, "moved_in_on": a.moved_in_on.isoformat(), "reason": a.reason}
            for a in lived
        ]
    }


def _personal_changes(inp: SnapshotInput) -> dict[str, Any]:
    # The registry keeps no personal-data change records yet; the section is printed empty.
    return {"personal_changes": []}


def _addresses(inp: SnapshotInput) -> dict[str, Any]:
    items = inp.permit.items
    since = _since(items.get("past_addresses"), inp.issued_at.astimezone(KST).date())
    show_head = bool(items.get("past_head_name_relation"))
    rows = [
        {
            "seq": a.seq,
            "address": a.address,
            "moved_in_on": a.moved_in_on.isoformat(),
            "reason": a.reason,
            "head_name": a.head_name if show_head else None,
            "head_relation": a.head_relation if show_head else None,
        }
        for a in _lived_since(inp.dossier.addresses, since)
    ]
    return {"addresses": rows}


def _military_service(inp: SnapshotInput) -> dict[str, Any]:
    return {"military_service": "기록 없음" if inp.permit.items.get("military_service") else None}


def _seal(inp: SnapshotInput) -> dict[str, Any]:
    seal = inp.dossier.seal
    assert seal is not None
    return {
        "seal": {
            "registered_on": seal.registered_on.isoformat(),
            "office_name": inp.dossier.seal_office_name or seal.office_code,
            "description": seal.seal_description,
            # The registered impression, printed as it was at issuance (None: not on file).
            "impression_png": _png_base64(seal.impression_png),
        }
    }


def _png_base64(data: bytes | None) -> str | None:
    if not data or not data.startswith(PNG_SIGNATURE):
        return None
    return base64.b64encode(data).decode("ascii")


def _seal_usage(inp: SnapshotInput) -> dict[str, Any]:
    usage = str(inp.permit.items.get("usage", "general"))
    item = inp.document.item("usage")
    labels = dict(item.choices) if item else {}
    buyer = inp.dossier.buyer
    proxy = inp.dossier.proxy
    return {
        "usage_label": labels.get(usage, usage),
        "buyer": (
            {"name": buyer.name, "address": buyer.address, "rrn": buyer.rrn_masked}
            if buyer
            else None
        ),
        "proxy": {"name": proxy.name, "rrn": proxy.rrn_masked} if proxy else None,
    }


def _tax_clearance(inp: SnapshotInput) -> dict[str, Any]:
    purpose = str(inp.permit.items.get("purpose", "payment"))
    item = inp.document.item("purpose")
    labels = dict(item.choices) if item else {}
    today = inp.issued_at.astimezone(KST).date()
    return {
        "purpose_label": labels.get(purpose, purpose),
        "checked_on": today.isoformat(),
        # 유효기간: valid_days from the day of issue, that day not counted (민법 제157조).
        "valid_until": last_day_of_days(today, inp.document.valid_days).isoformat(),
        "statement": "위 납세자는 발급일 현재 체납한 지방세가 없음을 증명합니다.",
    }


def _building(inp: SnapshotInput) -> dict[str, Any]:
    b = inp.dossier.building
    assert b is not None
    return {
        "building": {
            "register_number": b.register_number,
            "address": b.address,
            "main_use": b.main_use,
            "structure": b.structure,
            "floors_above": b.floors_above,
            "floors_below": b.floors_below,
            "floor_area_m2": b.floor_area_m2,
            "site_area_m2": b.site_area_m2,
            "approved_on": b.approved_on.isoformat(),
            "owner_name": b.owner_name if inp.permit.items.get("owner") else None,
        }
    }


SECTION_BUILDERS: dict[str, Callable[[SnapshotInput], dict[str, Any]]] = {
    "person": _person,
    "household": _household,
    "members": _members,
    "past_addresses": _past_addresses,
    "personal_changes": _personal_changes,
    "addresses": _addresses,
    "military_service": _military_service,
    "seal": _seal,
    "seal_usage": _seal_usage,
    "tax_clearance": _tax_clearance,
    "building": _building,
}


def selections(document: DocumentType, items: Mapping[str, object]) -> list[list[str]]:
    """Returns [label, shown value] for every item, as printed in the selection box."""
    rows = []
    for item in document.items:
        value = items.get(item.code, item.default)
        if item.kind == "flag":
            shown = "포함" if value else "미포함"
        else:
            shown = dict(item.choices).get(str(value), str(value))
        rows.append([item.label, shown])
    return rows


def build_snapshot(inp: SnapshotInput) -> dict[str, Any]:
    """Returns exactly what the document shows; the PDF is rendered from this and nothing else."""
    issued_kst = inp.issued_at.astimezone(KST)
    # Verifiable through the whole last day, like the 유효기간 a paper prints (제157조·제159조).
    expires = end_of_days(issued_kst, inp.document.valid_days, KST)
    snapshot: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "document_type": inp.document.code,
        "title": inp.document.title_on_document,
        "number": inp.number,
        "issued_at": issued_kst.isoformat(timespec="seconds"),
        "expires_at": expires.isoformat(timespec="seconds"),
        "channel": inp.channel.value,
        "channel_label": CHANNEL_LABELS[inp.channel],
        "office": {
            "code": inp.office.code,
            "name": inp.office.name,
            "head_title": inp.office.head_title,
        },
        "province": PROVINCE,
        "purpose": inp.purpose if inp.permit.print_purpose else None,
        "print_purpose": inp.permit.print_purpose,
        "fee": inp.fee,
        "items": dict(inp.permit.items),
        "selections": selections(inp.document, inp.permit.items),
        "verify_url": inp.verify_url,
    }
    for section in inp.document.sections:
        builder = SECTION_BUILDERS.get(section)
        if builder is None:
            raise ValueError(f"catalog type {inp.document.code}: unknown section {section}")
        snapshot.update(builder(inp))
    return snapshot
