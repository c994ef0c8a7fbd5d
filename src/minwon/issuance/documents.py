"""One issuance, one signed PDF: made once, stored with its SHA-256, served as stored.

The PDF is rendered and signed (at the issuance's ``issued_at``) right after the issuance
commits, outside any transaction: on SQLite the writer holds the only write lock, and a
render takes far longer than the writes. The bytes are then stored in a transaction of
their own, insert-if-absent, so two makers racing store one PDF and both return it.

If the process dies between the two commits, or the issuance predates stored PDFs, its
record has no SHA-256 yet and the first download makes the PDF the same way. Every
download checks the stored bytes against the record's SHA-256 and refuses a mismatch.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

import structlog

from minwon.errors import MinwonError, NotFound
from minwon.issuance.records import IssuanceRecord, StoredPdf
from minwon.storage import retry_transient

if TYPE_CHECKING:
    from minwon.issuance.context import IssuanceContext

log = structlog.get_logger(__name__)


class DocumentCorrupt(MinwonError):
    """The stored PDF does not match its record: it is not handed out (a server fault)."""

    status = 500
    title = "문서를 내줄 수 없습니다"


def made_at_issuance(ctx: IssuanceContext, record: IssuanceRecord) -> IssuanceRecord:
    """Makes and stores the PDF of a just-issued (or replayed) record that has none yet;
    returns the record with its ``pdf_sha256``.

    The issuance itself is committed already, so a failure here does not undo it: it is
    logged, the record goes back without a SHA-256, and the first download makes the PDF.
    """
    if record.pdf_sha256 is not None:
        return record
    try:
        stored = _make(ctx, record)
    except Exception as exc:
        log.warning("document.deferred", issuance_id=record.id, error=type(exc).__name__)
        return record
    return replace(record, pdf_sha256=stored.sha256)


def document_pdf(ctx: IssuanceContext, record: IssuanceRecord) -> bytes:
    """Returns the signed PDF of an issuance exactly as stored, making it first if none
    was ever stored; refuses bytes that do not match the record's SHA-256."""

    def read() -> StoredPdf | None:
        with ctx.uows(readonly=True) as uow:
            return uow.issuances.stored_pdf(record.id)

    stored = retry_transient(read, seconds=ctx.db_retry_seconds)
    if stored is None:
        raise NotFound("issuance.not_found", "해당 발급 기록이 없거나 조회 권한이 없습니다.")
    if stored.pdf is None and stored.sha256 is None:
        log.info("document.made_late", issuance_id=record.id)
        stored = _make(ctx, record)
    return _checked(record, stored)


def pdf_sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def _make(ctx: IssuanceContext, record: IssuanceRecord) -> StoredPdf:
    pdf = ctx.documents.pdf_for(record)  # no transaction open while rendering and signing
    digest = pdf_sha256(pdf)

    def store() -> StoredPdf:
        # Insert-if-absent, so repeating it after a lost connection is safe.
        with ctx.uows() as uow:
            stored = uow.issuances.store_pdf(record.id, pdf, sha256=digest, at=ctx.clock.now())
            uow.commit()
        return stored

    return retry_transient(store, seconds=ctx.db_retry_seconds)


def _checked(record: IssuanceRecord, stored: StoredPdf) -> bytes:
    if stored.pdf is not None and stored.sha256 is not None:
        if pdf_sha256(stored.pdf) == stored.sha256:
            return stored.pdf
        reason = "mismatch"
    else:
        reason = "missing" if stored.pdf is None else "unrecorded"
    # Ids and the reason only: the bytes and the record hold personal data.
    log.error("document.corrupt", issuance_id=record.id, reason=reason)
    raise DocumentCorrupt(
        "document.corrupt",
        "보관된 문서 파일이 발급 기록과 맞지 않아 내려드릴 수 없습니다. 발급 기관에 문의해 주세요.",
    )
