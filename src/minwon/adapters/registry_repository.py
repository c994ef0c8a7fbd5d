"""Reads the resident registry into plain domain values (registry.model)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from minwon.adapters import tables as t
from minwon.inputs import nfc
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
from minwon.registry.vault import RrnVault


class RegistryRepository:
    """Registry reads inside one unit of work. Numbers are decrypted only here."""

    def __init__(self, conn: Connection, vault: RrnVault) -> None:
        self._conn = conn
        self._vault = vault

    def digest(self, rrn: str) -> str:
        return self._vault.digest(rrn)

    def _resident(self, row: Any) -> Resident:
        return Resident(
            id=row.id,
            rrn=self._vault.decrypt(row.rrn_cipher),
            name=row.name,
            birth_date=row.birth_date,
            sex=row.sex,
            household_id=row.household_id,
            foreign=row.foreign,
            alive=row.alive,
            probe=bool(row.probe),
        )

    def resident(self, resident_id: str) -> Resident | None:
        """Returns the resident with this id, or None."""
        row = self._conn.execute(select(t.residents).where(t.residents.c.id == resident_id)).first()
        return self._resident(row) if row else None

    def resident_by_rrn(self, rrn: str) -> Resident | None:
        """Returns the resident with this number (looked up by keyed digest), or None."""
        digest = self._vault.digest(rrn)
        row = self._conn.execute(
            select(t.residents).where(t.residents.c.rrn_digest == digest)
        ).first()
        return self._resident(row) if row else None

    def find_residents(self, *, name: str, birth_date: date, limit: int = 20) -> list[Resident]:
        """Returns residents with exactly this name (compared in NFC) and birth date."""
        rows = self._conn.execute(
            select(t.residents)
            .where(t.residents.c.name == nfc(name), t.residents.c.birth_date == birth_date)
            .order_by(t.residents.c.id)
            .limit(limit)
        ).all()
        return [self._resident(r) for r in rows]

    def household(self, household_id: str) -> Household | None:
        row = self._conn.execute(
            select(t.households).where(t.households.c.id == household_id)
        ).first()
        if row is None:
            return None
        return Household(
            id=row.id,
            head_resident_id=row.head_resident_id,
            address=row.address,
            dong_code=row.dong_code,
            formed_on=row.formed_on,
            formation_reason=row.formation_reason,
        )

    def members(self, household_id: str) -> list[tuple[HouseholdMember, Resident]]:
        """Returns the household's members with their records, the head first."""
        hm, r = t.household_members, t.residents
        rows = self._conn.execute(
            select(hm, r)
            .join(r, r.c.id == hm.c.resident_id)
            .where(hm.c.household_id == household_id)
            .order_by(hm.c.joined_on, r.c.birth_date)
        ).all()
        result = []
        for row in rows:
            member = HouseholdMember(
                household_id=row.household_id,
                resident_id=row.resident_id,
                relation_to_head=row.relation_to_head,
                joined_on=row.joined_on,
                change_reason=row.change_reason,
                cohabitant=row.cohabitant,
            )
            result.append((member, self._resident(row)))
        result.sort(key=lambda pair: pair[0].relation_to_head != "본인")
        return result

    def address_history(self, resident_id: str) -> list[AddressEntry]:
        rows = self._conn.execute(
            select(t.address_history)
            .where(t.address_history.c.resident_id == resident_id)
            .order_by(t.address_history.c.seq)
        ).all()
        return [
            AddressEntry(
                resident_id=r.resident_id,
                seq=r.seq,
                address=r.address,
                moved_in_on=r.moved_in_on,
                reason=r.reason,
                head_name=r.head_name,
                head_relation=r.head_relation,
            )
            for r in rows
        ]

    def seal(self, resident_id: str) -> SealRegistration | None:
        row = self._conn.execute(
            select(t.seal_registrations).where(t.seal_registrations.c.resident_id == resident_id)
        ).first()
        if row is None:
            return None
        return SealRegistration(
            resident_id=row.resident_id,
            registered_on=row.registered_on,
            office_code=row.office_code,
            seal_description=row.seal_description,
            active=row.active,
            impression_png=row.impression_png,
        )

    def tax_records(self, resident_id: str) -> list[TaxRecord]:
        rows = self._conn.execute(
            select(t.tax_records)
            .where(t.tax_records.c.resident_id == resident_id)
            .order_by(t.tax_records.c.tax_year, t.tax_records.c.tax_kind)
        ).all()
        return [
            TaxRecord(
                resident_id=r.resident_id,
                tax_year=r.tax_year,
                tax_kind=r.tax_kind,
                assessed=r.assessed,
                paid=r.paid,
                due_on=r.due_on,
            )
            for r in rows
        ]

    def building(self, register_number: str) -> Building | None:
        row = self._conn.execute(
            select(t.buildings).where(t.buildings.c.register_number == register_number)
        ).first()
        if row is None:
            return None
        return Building(
            id=row.id,
            register_number=row.register_number,
            address=row.address,
            dong_code=row.dong_code,
            owner_name=row.owner_name,
            main_use=row.main_use,
            structure=row.structure,
            floors_above=row.floors_above,
            floors_below=row.floors_below,
            floor_area_m2=row.floor_area_m2,
            site_area_m2=row.site_area_m2,
            approved_on=row.approved_on,
        )

    def office(self, code: str) -> Office | None:
        row = self._conn.execute(select(t.offices).where(t.offices.c.code == code)).first()
        if row is None:
            return None
        return Office(
            code=row.code, name=row.name, head_title=row.head_title, district=row.district
        )
