"""Issuance's ports: storage (issuances, their PDFs, fees, applicants, notices, idempotency
claims, the trail) and the maker of signed PDFs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from minwon.audit.ports import AuditLog
from minwon.issuance.parties import Applicant, ApplicantRecord, CopyObtained
from minwon.issuance.records import FeeRecord, IdempotencyClaim, IssuanceRecord, StoredPdf
from minwon.notifications.ports import NoticeOutbox
from minwon.registry.ports import RegistryReader
from minwon.storage import UnitOfWork


class IssuanceStore(Protocol):
    """Issuances and their fees."""

    def add(self, record: IssuanceRecord) -> bool:
        """Inserts the issuance; returns False if its number is already taken."""
        ...

    def charge(self, fee: FeeRecord) -> None:
        """Records the fee of an issuance (once: a second charge is an error)."""
        ...

    def by_number(self, number: str) -> IssuanceRecord | None:
        """Returns the issuance with this 문서확인번호, or None."""
        ...

    def by_id(self, issuance_id: str) -> IssuanceRecord | None:
        """Returns the issuance with this id, or None."""
        ...

    def fee_for(self, issuance_id: str) -> FeeRecord | None:
        """Returns the fee charged for an issuance, or None."""
        ...

    def void(self, issuance_id: str, *, at: datetime, reason: str, by: str) -> bool:
        """Voids a valid issuance; False if it was not valid."""
        ...

    def for_office_on(self, office_code: str, day_start: datetime) -> list[IssuanceRecord]:
        """Returns an office's issuances of the day starting at ``day_start`` (교부대장)."""
        ...

    def for_requester(self, requester_ref: str, limit: int = 100) -> list[IssuanceRecord]:
        """Returns a requester's issuances, newest first."""
        ...

    def store_pdf(self, issuance_id: str, pdf: bytes, *, sha256: str, at: datetime) -> StoredPdf:
        """Stores an issuance's signed PDF and puts its SHA-256 on the record, unless a PDF
        is stored already; returns what is stored then (the first stored bytes win)."""
        ...

    def stored_pdf(self, issuance_id: str) -> StoredPdf | None:
        """Returns the stored PDF of an issuance and its record's SHA-256; None if there
        is no such issuance."""
        ...


class ApplicantStore(Protocol):
    """Who applied for each issuance (one row each, written with the issuance)."""

    def record(
        self, issuance_id: str, subject_ref: str, applicant: Applicant, *, at: datetime
    ) -> str | None:
        """Stores the applicant (the number sealed in the vault, a fingerprint reading as a
        keyed digest); returns the masked number it keeps."""
        ...

    def of_issuance(self, issuance_id: str) -> ApplicantRecord | None:
        """Returns the applicant of an issuance (None for one issued before they were kept)."""
        ...

    def about_subject(self, subject_ref: str, limit: int = 200) -> list[CopyObtained]:
        """Returns the issuances about a subject, newest first, with the applicant's class."""
        ...


class DocumentMaker(Protocol):
    """Makes the signed PDF of an issuance from its frozen snapshot, signed at its
    ``issued_at``: called once per issuance, whose bytes are then stored and served."""

    def pdf_for(self, record: IssuanceRecord) -> bytes: ...


class IdempotencyStore(Protocol):
    """Claims on idempotency keys, per principal. A claim is a lease, not a lock."""

    def claim(
        self,
        *,
        principal: str,
        key: str,
        request_hash: str,
        now: datetime,
        lease: timedelta,
        holder: str = "",
        instance: str | None = None,
    ) -> IdempotencyClaim:
        """Takes the key for this request, or reports who holds it and in which state.

        `instance` is the server process the request runs in: a claim whose instance has
        stopped beating is free at once, not only when its lease ends."""
        ...

    def complete(self, *, principal: str, key: str, holder: str, issuance_id: str) -> bool:
        """Marks the key completed, only if this holder still holds it; False otherwise."""
        ...

    def release(self, *, principal: str, key: str, holder: str | None = None) -> int:
        """Gives up an in-flight claim (the request failed for good); with `holder`, only
        while that request holds it. Returns how many claims were freed (0 or 1)."""
        ...

    def record_replay(self, *, principal: str, key: str) -> None:
        """A real write before a replayed answer, so the replay is confirmed durable."""
        ...


class IssuanceUnitOfWork(UnitOfWork, Protocol):
    """What issuance use cases touch in one transaction."""

    @property
    def registry(self) -> RegistryReader: ...

    @property
    def issuances(self) -> IssuanceStore: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def applicants(self) -> ApplicantStore: ...

    @property
    def notices(self) -> NoticeOutbox: ...


class IssuanceUnitOfWorks(Protocol):
    """Makes issuance units of work; ``readonly`` ones never take a write lock."""

    def __call__(self, *, readonly: bool = False) -> IssuanceUnitOfWork: ...
