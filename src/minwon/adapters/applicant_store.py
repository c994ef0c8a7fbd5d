"""Writes and reads who applied for each issuance (implements issuance.ports.ApplicantStore).

The applicant's number is kept only sealed in the vault, with its keyed digest (to find
what one person applied for) and the masked form clerks see; a proxy's fingerprint
reading only as a keyed digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from minwon.adapters import party_tables as pt
from minwon.adapters import tables as t
from minwon.issuance.parties import Applicant, ApplicantRecord, CopyObtained
from minwon.registry.rrn import mask
from minwon.registry.vault import RrnVault

FINGERPRINT_PURPOSE = b"proxy-fingerprint"


def _record(row: Any) -> ApplicantRecord:
    return ApplicantRecord(
        issuance_id=row.issuance_id,
        name=row.name,
        rrn_masked=row.rrn_masked,
        resident_id=row.resident_id,
        relation=row.relation,
        requester_class=row.requester_class,
        identification=row.identification,
        id_checked=row.id_checked,
        checked_by=row.checked_by,
        ground=row.ground,
        purpose=row.purpose,
        delegation_written_on=row.delegation_written_on,
        delegation_valid_until=row.delegation_valid_until,
        delegation_scope=tuple(row.delegation_scope or ()),
        delegator_id_seen=row.delegator_id_seen,
        delegate_id_checked=row.delegate_id_checked,
        delegator_id_checked=row.delegator_id_checked,
        fingerprint_taken=row.fingerprint_taken,
        fingerprint_digest=row.fingerprint_digest,
        recorded_at=row.recorded_at,
    )


class ApplicantStore:
    """Applicants of issuances, one per issuance."""

    def __init__(self, conn: Connection, vault: RrnVault) -> None:
        self._conn = conn
        self._vault = vault

    def record(
        self, issuance_id: str, subject_ref: str, applicant: Applicant, *, at: datetime
    ) -> str | None:
        """Stores the applicant of an issuance; returns the masked number it keeps."""
        rrn = applicant.rrn
        masked = mask(rrn) if rrn else None
        delegation = applicant.delegation
        capture = applicant.fingerprint_capture
        self._conn.execute(
            insert(pt.issuance_applicants).values(
                issuance_id=issuance_id,
                subject_ref=subject_ref,
                name=applicant.name[:40],
                rrn_cipher=self._vault.encrypt(rrn) if rrn else None,
                rrn_digest=self._vault.digest(rrn) if rrn else None,
                rrn_masked=masked,
                resident_id=applicant.resident_id,
                relation=applicant.relation.value,
                requester_class=applicant.requester_class,
                ground=applicant.ground.value if applicant.ground else None,
                purpose=applicant.purpose,
                identification=applicant.identification.value,
                id_checked=applicant.id_checked,
                checked_by=applicant.checked_by,
                delegation_written_on=delegation.written_on if delegation else None,
                delegation_valid_until=delegation.valid_until if delegation else None,
                delegation_scope=list(delegation.document_types) if delegation else None,
                delegator_id_seen=delegation.delegator_id_seen if delegation else None,
                delegate_id_checked=applicant.delegate_id_checked,
                delegator_id_checked=applicant.delegator_id_checked,
                fingerprint_taken=applicant.fingerprint_taken,
                fingerprint_digest=(
                    self._vault.keyed_digest(capture.strip().lower(), purpose=FINGERPRINT_PURPOSE)
                    if capture
                    else None
                ),
                recorded_at=at,
            )
        )
        return masked

    def of_issuance(self, issuance_id: str) -> ApplicantRecord | None:
        row = self._conn.execute(
            select(pt.issuance_applicants).where(
                pt.issuance_applicants.c.issuance_id == issuance_id
            )
        ).first()
        return _record(row) if row else None

    def about_subject(self, subject_ref: str, limit: int = 200) -> list[CopyObtained]:
        """Returns the issuances about a subject, newest first, with who applied in which
        capacity (None for issuances recorded before applicants were); probe documents
        left out."""
        a, i = pt.issuance_applicants, t.issuances
        rows = self._conn.execute(
            select(
                i.c.issued_at,
                i.c.document_type,
                i.c.office_code,
                i.c.channel,
                i.c.status,
                i.c.requester_ref,
                a.c.requester_class,
                a.c.purpose,
                a.c.resident_id,
            )
            .select_from(i.outerjoin(a, a.c.issuance_id == i.c.id))
            .where(i.c.subject_ref == subject_ref, i.c.probe.is_(False))
            .order_by(i.c.issued_at.desc())
            .limit(limit)
        ).all()
        return [
            CopyObtained(
                issued_at=r.issued_at,
                document_type=r.document_type,
                office_code=r.office_code,
                channel=r.channel,
                status=r.status,
                requester_class=r.requester_class,
                purpose=r.purpose,
                applicant_resident_id=r.resident_id,
                requester_ref=r.requester_ref,
            )
            for r in rows
        ]
