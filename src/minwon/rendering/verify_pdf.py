"""Offline check of a signed Minwon PDF: signature, trust, integrity and the QR token."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from minwon.rendering.qr_token import InvalidToken, TokenClaims, decode_token
from minwon.rendering.signing import FIELD_NAME, asn1_certificate
from minwon.rendering.token_keys import TokenKeyring
from minwon.rendering.trust import TrustBundle

Problem = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PdfVerdict:
    """What the offline check found; ``problems`` holds (stable code, Korean detail) pairs."""

    signature_valid: bool
    trusted: bool
    intact: bool
    coverage_entire: bool
    signer: str | None
    number: str | None
    claims: TokenClaims | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _failed(code: str, detail: str) -> PdfVerdict:
    return PdfVerdict(False, False, False, False, None, None, None, ((code, detail),))


def _text(value: object) -> str | None:
    if isinstance(value, generic.TextStringObject | generic.ByteStringObject | str):
        return str(value)
    return None


def _signed_info(reader: PdfFileReader, revision: int) -> tuple[str | None, str | None]:
    # Read the info dictionary as it stood when signed, so a later revision cannot swap it.
    trailer = reader.get_historical_resolver(revision).trailer_view
    try:
        info = trailer["/Info"]
    except KeyError:
        return None, None
    if not isinstance(info, generic.DictionaryObject):
        return None, None
    token = _text(info.get("/MinwonToken"))
    number = _text(info.get("/MinwonNumber"))
    return token, number


def verify_with(data: bytes, bundle: TrustBundle) -> PdfVerdict:
    """Returns the verdict on a signed Minwon PDF, trusting only what ``bundle`` names."""
    return verify_pdf(data, trust_root=bundle.roots, token_public_key=bundle.token_keys)


def _roots(trust_root: x509.Certificate | bytes | Sequence[x509.Certificate]) -> list[object]:
    if isinstance(trust_root, x509.Certificate):
        certs: Sequence[x509.Certificate] = (trust_root,)
    elif isinstance(trust_root, bytes):
        certs = (x509.load_pem_x509_certificate(trust_root),)
    else:
        certs = trust_root
    return [asn1_certificate(cert) for cert in certs]


def verify_pdf(
    data: bytes,
    *,
    trust_root: x509.Certificate | bytes | Sequence[x509.Certificate],
    token_public_key: ed25519.Ed25519PublicKey | TokenKeyring,
) -> PdfVerdict:
    """Returns the verdict on a signed Minwon PDF, trusting only ``trust_root`` (one root
    or several) and the given token key(s); no network."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, OSError) as exc:
        return _failed("pdf.unreadable", f"PDF 파일을 읽을 수 없습니다: {exc}")
    ours = [s for s in signatures if s.field_name == FIELD_NAME]
    if not ours:
        return _failed("pdf.unsigned", "민원문서 전자서명이 없습니다.")
    embedded = ours[0]
    problems: list[Problem] = []
    if len(signatures) > 1:
        problems.append(("pdf.extra_signature", "서명 이후에 다른 서명이 추가되었습니다."))
    context = ValidationContext(
        trust_roots=_roots(trust_root), allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(embedded, context)
    except (SignatureValidationError, PdfError, ValueError) as exc:
        return _failed("pdf.signature_invalid", f"전자서명을 검증할 수 없습니다: {exc}")
    coverage_entire = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signature_valid = bool(status.intact and status.valid)
    if not signature_valid:
        problems.append(
            ("pdf.signature_invalid", "전자서명이 올바르지 않습니다. 문서가 변조되었습니다.")
        )
    elif not status.trusted:
        problems.append(("pdf.untrusted_signer", "신뢰할 수 있는 기관의 서명이 아닙니다."))
    if not coverage_entire or status.modification_level not in (None, ModificationLevel.NONE):
        problems.append(("pdf.modified_after_signing", "서명 이후에 문서가 수정되었습니다."))
    token, number = _signed_info(reader, embedded.signed_revision)
    claims: TokenClaims | None = None
    if token is None:
        problems.append(("pdf.token_missing", "문서 확인 토큰이 없습니다."))
    else:
        try:
            claims = decode_token(token, token_public_key)
        except InvalidToken as exc:
            problems.append((exc.code, exc.detail_ko))
    if claims is not None and claims.number != number:
        problems.append(("pdf.number_mismatch", "토큰의 문서확인번호가 문서와 다릅니다."))
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else None
    return PdfVerdict(
        signature_valid=signature_valid,
        trusted=bool(status.trusted),
        intact=bool(status.intact),
        coverage_entire=coverage_entire,
        signer=signer,
        number=number,
        claims=claims,
        problems=tuple(problems),
    )
