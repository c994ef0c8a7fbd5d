"""Verification's parts shared by the page and the API: the rate limits, who may see the
whole document (second factor), its items and page images, and the check of an uploaded
PDF. Page images are served only with a short-lived grant the verification hands out, so
an image URL is worth no more than the verification that produced it."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import structlog
from fastapi import Request

from minwon.bootstrap import Container
from minwon.errors import InvalidRequest, MinwonError
from minwon.identity.services import check_rate
from minwon.issuance.disclosure import Disclosure, SecondFactor, disclose
from minwon.issuance.document_check import DocumentCheck, SignatureFindings, check_document
from minwon.issuance.documents import document_pdf
from minwon.issuance.numbers import InvalidNumber, display, normalise
from minwon.issuance.records import IssuanceRecord
from minwon.issuance.verification import record_for_number
from minwon.rendering.preview import DocumentView, PageImages, RasterError, document_view
from minwon.rendering.verify_pdf import verify_pdf
from minwon.web.deps import client_address
from minwon.web.schemas import CheckLineOut, DocumentCheckOut, DocumentViewOut, SecondFactorOut
from minwon.web.uploads import too_large

log = structlog.get_logger("minwon.web.verification")

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
GRANT_SECONDS = 600
PAGE_IMAGES = PageImages(size=32)


class NotAPdf(InvalidRequest):
    title = "PDF 파일이 아닙니다"


def count_lookup(c: Container, request: Request) -> None:
    """Counts a verification against the client's per-minute limit (429 past it)."""
    check_rate(
        c.identity, f"verify:{client_address(request)}", c.settings.verification.rate_per_minute
    )


def second_factor(c: Container) -> SecondFactor:
    return SecondFactor(c.settings.verification.second_factor)


def open_verification(
    c: Container, request: Request, number_text: str, given: str | None
) -> Disclosure:
    """Returns the verification of a number; a second factor, when one is given, counts
    against per-hour limits for the client and for the number before it is compared."""
    factor = second_factor(c)
    if factor is not SecondFactor.NONE and given and given.strip():
        limit = c.settings.verification.factor_attempts_per_hour
        check_rate(
            c.identity, f"verify-factor:{client_address(request)}", limit, window_seconds=3600
        )
        try:
            number = normalise(number_text)
        except InvalidNumber:
            number = None
        if number:
            check_rate(c.identity, f"verify-factor-number:{number}", limit, window_seconds=3600)
    return disclose(c.issuance, number_text=number_text, factor=factor, given=given)


def view_of(c: Container, record: IssuanceRecord) -> DocumentView:
    """Returns the record's items as its paper prints them (the same catalog template)."""
    document = c.catalog.get(record.document_type)
    if document is None:
        raise LookupError(record.document_type)
    return document_view(
        record.snapshot_data(), template=document.template, template_dir=c.catalog.templates
    )


def issued_pdf(c: Container, record: IssuanceRecord) -> bytes:
    """Returns the PDF as it was issued (the one place verification reads it)."""
    return document_pdf(c.issuance, record)


def _key(record: IssuanceRecord) -> str:
    return f"{record.id}:{record.pdf_sha256 or record.content_hash}"


def page_count(c: Container, record: IssuanceRecord) -> int | None:
    """Returns how many pages the issued PDF has (None when it cannot be read)."""
    try:
        return PAGE_IMAGES.count(_key(record), lambda: issued_pdf(c, record))
    except RasterError as exc:
        log.error("verify.pages_failed", error=str(exc))
        return None


def page_images(c: Container, record: IssuanceRecord) -> tuple[bytes, ...] | None:
    """Returns the issued PDF's pages as PNG images (None when they cannot be made)."""
    try:
        return PAGE_IMAGES.get(_key(record), lambda: issued_pdf(c, record))
    except RasterError as exc:
        log.error("verify.pages_failed", error=str(exc))
        return None


def _grant_key(c: Container) -> bytes:
    return hmac.new(c.keys.pepper, b"minwon-verify-page-grant", hashlib.sha256).digest()


def _grant_mac(c: Container, number: str, expires: int) -> str:
    message = f"{number}|{expires}".encode()
    return hmac.new(_grant_key(c), message, hashlib.sha256).hexdigest()[:32]


def page_grant(c: Container, number: str) -> str:
    """Returns a grant to see ``number``'s page images for the next few minutes."""
    expires = int(c.clock.now().timestamp()) + GRANT_SECONDS
    return f"{expires}.{_grant_mac(c, number, expires)}"


def grant_valid(c: Container, number: str, grant: str) -> bool:
    expires_text, _, mac = grant.partition(".")
    if not expires_text.isdigit() or int(expires_text) < c.clock.now().timestamp():
        return False
    return hmac.compare_digest(mac, _grant_mac(c, number, int(expires_text)))


def page_urls(c: Container, record: IssuanceRecord, count: int, *, base: str = "") -> list[str]:
    grant = page_grant(c, record.number)
    return [f"{base}/verify/{record.number}/page/{n}.png?g={grant}" for n in range(1, count + 1)]


def _record(c: Container, number: str | None) -> IssuanceRecord | None:
    if not number:
        return None
    try:
        return record_for_number(c.issuance, number_text=number)
    except MinwonError as exc:
        if exc.status >= 500:
            raise
        return None  # not a number, or never issued: the check says so


def check_pdf(c: Container, data: bytes) -> DocumentCheck:
    """Returns the checks of an uploaded PDF (the same as ``minwon verify``)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large(MAX_UPLOAD_BYTES)
    if b"%PDF-" not in data[:1024]:
        raise NotAPdf("verify.not_pdf", "PDF 파일이 아닙니다. 발급받은 PDF 파일을 올려 주세요.")
    verdict = verify_pdf(data, trust_root=c.keys.root_cert, token_public_key=c.keys.token_keyring)
    if any(code == "pdf.unreadable" for code, _ in verdict.problems):
        raise NotAPdf(
            "verify.pdf_unreadable", "PDF 파일을 읽을 수 없습니다. 파일이 손상되었습니다."
        )
    claims = verdict.claims
    findings = SignatureFindings(
        signature_valid=verdict.signature_valid,
        trusted=verdict.trusted,
        coverage_entire=verdict.coverage_entire,
        number=verdict.number,
        token_number=claims.number if claims else None,
        token_digest=claims.content_hash if claims else None,
        problems=verdict.problems,
    )
    record = _record(c, findings.token_number or findings.number)
    return check_document(
        findings,
        record,
        upload_sha256=hashlib.sha256(data).hexdigest(),
        now=c.clock.now(),
        digest_key=c.issuance.digest_key,
    )


def disclosure_json(c: Container, d: Disclosure) -> dict[str, Any]:
    """Returns the API's second-factor state and, when it may be shown, the document."""
    factor = SecondFactorOut(
        required=d.factor is not SecondFactor.NONE,
        kind=d.factor.value,
        label=d.factor.label,
        state=d.factor_state.value,
    )
    out: dict[str, Any] = {"second_factor": factor.model_dump(mode="json")}
    if not d.full_view:
        return {**out, "document": None, "page_images": None}
    view = view_of(c, d.record)
    pages = page_count(c, d.record)
    base = c.settings.public_base_url.rstrip("/")
    document = DocumentViewOut(
        title=view.title,
        number=view.number,
        issued=view.issued,
        office_name=view.office_name,
        issuer=view.issuer,
        statement=view.statement,
        blocks=list(view.blocks),
        numbers_masked=view.numbers_masked,
    )
    urls = page_urls(c, d.record, pages, base=base) if pages is not None else None
    return {**out, "document": document.model_dump(mode="json"), "page_images": urls}


def check_json(check: DocumentCheck) -> dict[str, Any]:
    out = DocumentCheckOut(
        verdict=check.verdict.value,
        trustworthy=check.trustworthy,
        headline=check.headline,
        number=display(check.number) if check.number else None,
        status=check.status.value if check.status else None,
        checks=[
            CheckLineOut(
                code=line.code,
                label=line.label,
                outcome=line.outcome.value,
                result=line.outcome.label,
                detail=line.detail,
            )
            for line in check.lines
        ],
    )
    return out.model_dump(mode="json")
