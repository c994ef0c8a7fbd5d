"""The registry's storage port: reads of residents, households, seals, taxes and buildings.

Full resident registration numbers are decrypted only behind this port; ``digest`` gives
the keyed digest a number is looked up (and a fingerprint template is keyed) by.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from minwon.audit.ports import AuditLog
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
from minwon.storage import UnitOfWork


class RegistryReader(Protocol):
    """Registry reads inside one unit of work."""

    def digest(self, rrn: str) -> str:
        """Returns the keyed digest of a number (never the number itself)."""
        ...

    def resident(self, resident_id: str) -> Resident | None:
        """Returns the resident with this id, or None."""
        ...

    def resident_by_rrn(self, rrn: str) -> Resident | None:
        """Returns the resident with this number, or None."""
        ...

    def find_residents(self, *, name: str, birth_date: date, limit: int = 20) -> list[Resident]:
        """Returns residents with exactly this name and birth date."""
        ...

    def household(self, household_id: str) -> Household | None:
        """Returns the household, or None."""
        ...

    def members(self, household_id: str) -> list[tuple[HouseholdMember, Resident]]:
        """Returns the household's members with their resident records, head first."""
        ...

    def address_history(self, resident_id: str) -> list[AddressEntry]:
        """Returns the resident's addresses, oldest first."""
        ...

    def seal(self, resident_id: str) -> SealRegistration | None:
        """Returns the resident's seal registration, or None."""
        ...

    def tax_records(self, resident_id: str) -> list[TaxRecord]:
        """Returns the resident's local-tax records."""
        ...

    def building(self, register_number: str) -> Building | None:
        """Returns the 건축물대장 entry, or None."""
        ...

    def office(self, code: str) -> Office | None:
        """Returns the office with this code, or None."""
        ...


class RegistryUnitOfWork(UnitOfWork, Protocol):
    """What registry use cases touch in one transaction."""

    @property
    def registry(self) -> RegistryReader: ...

    @property
    def audit(self) -> AuditLog: ...


class RegistryUnitOfWorks(Protocol):
    """Makes registry units of work; ``readonly`` ones never take a write lock."""

    def __call__(self, *, readonly: bool = False) -> RegistryUnitOfWork: ...
