"""Writes and reads issuances, their signed PDFs, fees and idempotency claims (implements
issuance.ports)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from minwon.adapters import tables as t
from minwon.adapters.instance_store import InstanceStore
from minwon.issuance.records import (
    ClaimState,
    FeeRecord,
    IdempotencyClaim,
    IssuanceRecord,
    IssuanceStatus,
    StoredPdf,
)
from minwon.registry.vault import RrnVault

SNAPSHOT_PURPOSE = b"issuance-snapshot"
# Registers and lists leave the release probe's documents out (issuance/probes.py).
NOT_PROBE = t.issuances.c.probe.is_(False)


def _issuance(row: Any, vault: RrnVault) -> IssuanceRecord:
    # Timestamps come back aware, in UTC, on both databases (tables.UtcDateTime).
    return IssuanceRecord(
        id=row.id,
        number=row.number,
        request_ref=row.request_ref,
        document_type=row.document_type,
        subject_ref=row.subject_ref,
        requester_kind=row.requester_kind,
        requester_ref=row.requester_ref,
        channel=row.channel,
        office_code=row.office_code,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        snapshot=vault.unseal(row.snapshot_sealed, purpose=SNAPSHOT_PURPOSE),
        content_hash=row.content_hash,
        status=IssuanceStatus(row.status),
        voided_at=row.voided_at,
        void_reason=row.void_reason,
        voided_by=row.voided_by,
        pdf_sha256=row.pdf_sha256,
        probe=bool(row.probe),
    )


class IssuanceStore:
    """Issuances and their fees."""

    def __init__(self, conn: Connection, vault: RrnVault) -> None:
        self._conn = conn
        self._vault = vault

    def add(self, record: IssuanceRecord) -> bool:
        """Inserts the issuance; returns False if its number is already taken."""
        values = {
            "id": record.id,
            "number": record.number,
            "request_ref": record.request_ref,
            "document_type": record.document_type,
            "subject_ref": record.subject_ref,
            "requester_kind": record.requester_kind,
            "requester_ref": record.requester_ref,
            "channel": record.channel,
            "office_code": record.office_code,
            "issued_at": record.issued_at,
            "expires_at": record.expires_at,
            "snapshot_sealed": self._vault.seal(record.snapshot, purpose=SNAPSHOT_PURPOSE),
            "content_hash": record.content_hash,
            "status": record.status.value,
            "probe": record.probe,
        }
        # A savepoint keeps a (vanishingly rare) number collision from aborting the
        # whole PostgreSQL transaction; the caller draws a new number and tries again.
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(t.issuances).values(**values))
        except IntegrityError:
            return False
        return True

    def charge(self, fee: FeeRecord) -> None:
        self._conn.execute(
            insert(t.fees).values(
                issuance_id=fee.issuance_id,
                amount=fee.amount,
                channel=fee.channel,
                exemption=fee.exemption,
                charged_at=fee.charged_at,
            )
        )

    def by_number(self, number: str) -> IssuanceRecord | None:
        row = self._conn.execute(select(t.issuances).where(t.issuances.c.number == number)).first()
        return _issuance(row, self._vault) if row else None

    def by_id(self, issuance_id: str) -> IssuanceRecord | None:
        row = self._conn.execute(select(t.issuances).where(t.issuances.c.id == issuance_id)).first()
        return _issuance(row, self._vault) if row else None

    def fee_for(self, issuance_id: str) -> FeeRecord | None:
        row = self._conn.execute(select(t.fees).where(t.fees.c.issuance_id == issuance_id)).first()
        if row is None:
            return None
        return FeeRecord(row.issuance_id, row.amount, row.channel, row.exemption, row.charged_at)

    def void(self, issuance_id: str, *, at: datetime, reason: str, by: str) -> bool:
        """Marks a valid issuance voided; returns False if it was not valid."""
        result = self._conn.execute(
            update(t.issuances)
            .where(t.issuances.c.id == issuance_id, t.issuances.c.status == "valid")
            .values(status="voided", voided_at=at, void_reason=reason, voided_by=by)
        )
        return result.rowcount == 1

    def for_office_on(self, office_code: str, day_start: datetime) -> list[IssuanceRecord]:
        """Returns the office's issuances in the 24 hours from ``day_start`` (교부대장),
        probe documents left out."""
        rows = self._conn.execute(
            select(t.issuances)
            .where(
                t.issuances.c.office_code == office_code,
                t.issuances.c.issued_at >= day_start,
                t.issuances.c.issued_at < day_start + timedelta(days=1),
                NOT_PROBE,
            )
            .order_by(t.issuances.c.issued_at)
        ).all()
        return [_issuance(r, self._vault) for r in rows]

    def for_requester(self, requester_ref: str, limit: int = 100) -> list[IssuanceRecord]:
        rows = self._conn.execute(
            select(t.issuances)
            .where(t.issuances.c.requester_ref == requester_ref, NOT_PROBE)
            .order_by(t.issuances.c.issued_at.desc())
            .limit(limit)
        ).all()
        return [_issuance(r, self._vault) for r in rows]

    def store_pdf(self, issuance_id: str, pdf: bytes, *, sha256: str, at: datetime) -> StoredPdf:
        """Stores the signed PDF and its SHA-256 unless a PDF is stored already; returns
        what is stored then. Two makers racing: the second insert fails on the primary key
        (PostgreSQL makes it wait for the first's commit; SQLite has one writer anyway), so
        both callers get the first one's bytes."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(t.issued_documents).values(
                        issuance_id=issuance_id, pdf=pdf, stored_at=at
                    )
                )
                self._conn.execute(
                    update(t.issuances)
                    .where(t.issuances.c.id == issuance_id, t.issuances.c.pdf_sha256.is_(None))
                    .values(pdf_sha256=sha256)
                )
        except IntegrityError:
            pass  # stored by another maker first
        stored = self.stored_pdf(issuance_id)
        if stored is None:
            raise LookupError(f"no issuance {issuance_id}")
        return stored

    def stored_pdf(self, issuance_id: str) -> StoredPdf | None:
        docs = t.issued_documents
        row = self._conn.execute(
            select(t.issuances.c.pdf_sha256, docs.c.pdf)
            .select_from(t.issuances.outerjoin(docs, docs.c.issuance_id == t.issuances.c.id))
            .where(t.issuances.c.id == issuance_id)
        ).first()
        if row is None:
            return None
        return StoredPdf(bytes(row.pdf) if row.pdf is not None else None, row.pdf_sha256)

    def count_fees(self, issuance_id: str) -> int:
        return len(
            self._conn.execute(select(t.fees).where(t.fees.c.issuance_id == issuance_id)).all()
        )


class IdempotencyStore:
    """Claims on idempotency keys, per principal. A claim is a lease, not a lock."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

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

        The holder that made an in-flight claim may take it again (it is retrying after a
        lost connection); anyone else waits until the lease ends or the holder's server
        instance stops beating (``server_instances``), whichever comes first.
        """
        table = t.idempotency_keys
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(table).values(
                        principal=principal,
                        key=key,
                        request_hash=request_hash,
                        state=ClaimState.IN_FLIGHT.value,
                        holder=holder,
                        lease_until=now + lease,
                        instance=instance,
                        created_at=now,
                        replays=0,
                    )
                )
            return IdempotencyClaim(ClaimState.NEW, request_hash)
        except IntegrityError:
            pass
        row = self._conn.execute(
            select(table).where(table.c.principal == principal, table.c.key == key)
        ).one()
        mine = bool(holder) and row.holder == holder
        # Only the same request may take a claim over: a key sent with other content is
        # refused (key_reused) whether or not its first request is still alive.
        same = row.state == ClaimState.IN_FLIGHT.value and row.request_hash == request_hash
        if same and (mine or row.lease_until < now or self._holder_gone(row.instance, now)):
            # The holder died mid-request (its transaction rolled back); take the key over.
            # If it was only slow, ``complete`` lets exactly one of the two finish.
            taken = self._conn.execute(
                update(table)
                .where(
                    and_(
                        table.c.principal == principal,
                        table.c.key == key,
                        table.c.state == ClaimState.IN_FLIGHT.value,
                        table.c.holder == row.holder,
                        table.c.lease_until == row.lease_until,
                    )
                )
                .values(
                    request_hash=request_hash,
                    holder=holder,
                    lease_until=now + lease,
                    instance=instance,
                )
            )
            if taken.rowcount == 1:
                return IdempotencyClaim(ClaimState.NEW, request_hash)
        return IdempotencyClaim(ClaimState(row.state), row.request_hash, row.issuance_id)

    def _holder_gone(self, instance: str | None, now: datetime) -> bool:
        """Returns True once the claim's server instance has stopped beating; a claim with
        no instance, or one whose instance never beat (a CLI), waits for its lease."""
        if not instance:
            return False
        alive_until = InstanceStore(self._conn).alive_until(instance)
        return alive_until is not None and alive_until < now

    def complete(self, *, principal: str, key: str, holder: str, issuance_id: str) -> bool:
        """Marks the key completed, only if this holder still holds it; False otherwise.

        The condition is what stops a duplicate: if a lease ran out and another request
        took the key over, exactly one of the two transactions can complete it.
        """
        table = t.idempotency_keys
        result = self._conn.execute(
            update(table)
            .where(
                table.c.principal == principal,
                table.c.key == key,
                table.c.holder == holder,
                table.c.state == ClaimState.IN_FLIGHT.value,
            )
            .values(state=ClaimState.COMPLETED.value, issuance_id=issuance_id)
        )
        return result.rowcount == 1

    def release(self, *, principal: str, key: str, holder: str | None = None) -> int:
        table = t.idempotency_keys
        held = [
            table.c.principal == principal,
            table.c.key == key,
            table.c.state == ClaimState.IN_FLIGHT.value,
        ]
        if holder is not None:  # not a claim another request has taken over meanwhile
            held.append(table.c.holder == holder)
        return int(self._conn.execute(delete(table).where(*held)).rowcount)

    def record_replay(self, *, principal: str, key: str) -> None:
        """A real write before a replayed answer: under synchronous replication its commit
        returns only once a standby holds the row, so the replay is confirmed durable."""
        table = t.idempotency_keys
        self._conn.execute(
            update(table)
            .where(table.c.principal == principal, table.c.key == key)
            .values(replays=table.c.replays + 1)
        )
