"""The answer to "may I trust this PDF?": the offline signature check's findings, the
issuance record's status and whether the file is the one issued, as lines a person reads.

Pure: the caller runs the PDF check (rendering.verify_pdf) and looks the record up; the
web page, the API and the command line all answer from this one function.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from minwon.clock import KST
from minwon.issuance.numbers import display
from minwon.issuance.records import IssuanceRecord, public_digest
from minwon.issuance.verification import VerificationStatus, status_of

Problem = tuple[str, str]
_COVERAGE_PROBLEMS = {"pdf.modified_after_signing", "pdf.extra_signature"}


@dataclass(frozen=True, slots=True)
class SignatureFindings:
    """What the offline check of the file found (rendering.verify_pdf's verdict)."""

    signature_valid: bool
    trusted: bool
    coverage_entire: bool
    number: str | None  # the number the signed file carries
    token_number: str | None  # None: no token, or its signature did not verify
    token_digest: str | None
    problems: tuple[Problem, ...] = ()


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"passed": "통과", "failed": "실패", "unknown": "확인할 수 없음"}[self.value]


@dataclass(frozen=True, slots=True)
class CheckLine:
    code: str  # stable: signature, coverage, trust, token, number, record, identical …
    label: str
    outcome: Outcome
    detail: str


class Verdict(StrEnum):
    GENUINE = "document.genuine"
    UNCONFIRMED = "document.unconfirmed"
    UNTRUSTED = "document.untrusted"


HEADLINES = {
    Verdict.GENUINE: "발급된 그대로의 유효한 문서입니다.",
    Verdict.UNCONFIRMED: (
        "서명과 발급 기록은 확인되었지만 발급된 파일과 같은 파일인지는 확인할 수 없습니다. "
        "이 결과만으로 문서를 믿지 마십시오."
    ),
    Verdict.UNTRUSTED: "이 문서를 믿지 마십시오. 확인에 실패한 항목이 있습니다.",
}


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    verdict: Verdict
    number: str | None
    status: VerificationStatus | None
    lines: tuple[CheckLine, ...]

    @property
    def headline(self) -> str:
        return HEADLINES[self.verdict]

    @property
    def trustworthy(self) -> bool:
        return self.verdict is Verdict.GENUINE


def _kst(moment: datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


def _line(code: str, label: str, ok: bool | None, passed: str, failed: str) -> CheckLine:
    outcome = Outcome.UNKNOWN if ok is None else (Outcome.PASSED if ok else Outcome.FAILED)
    return CheckLine(code, label, outcome, passed if ok else failed)


def _problem(findings: SignatureFindings, prefix: str, fallback: str) -> str:
    return next((d for c, d in findings.problems if c.startswith(prefix)), fallback)


def _signature_lines(f: SignatureFindings) -> list[CheckLine]:
    codes = {code for code, _ in f.problems}
    whole = f.coverage_entire and not codes & _COVERAGE_PROBLEMS
    return [
        _line(
            "signature",
            "전자서명",
            f.signature_valid,
            "전자서명이 올바르고, 서명한 뒤 바뀐 내용이 없습니다.",
            (
                "민원문서 전자서명이 없습니다."
                if "pdf.unsigned" in codes
                else "전자서명이 올바르지 않습니다. 서명한 뒤 문서가 바뀌었습니다."
            ),
        ),
        _line(
            "coverage",
            "서명 범위",
            f.signature_valid and whole,
            "서명이 파일 전체를 덮고, 서명 뒤에 덧붙인 내용이 없습니다.",
            "서명이 파일 전체를 덮지 않거나 서명 뒤에 내용이 덧붙었습니다.",
        ),
        _line(
            "trust",
            "발급 기관 인증서",
            f.signature_valid and f.trusted,
            "서명 인증서가 시의 최상위 인증서로 이어집니다.",
            "시가 발급한 인증서로 서명되지 않았습니다.",
        ),
        _line(
            "token",
            "QR 토큰 서명",
            f.token_number is not None,
            "문서의 QR 토큰이 시의 토큰 키로 서명되었습니다.",
            _problem(f, "token.", "QR 토큰이 없거나 서명이 올바르지 않습니다."),
        ),
    ]


def _record_lines(
    f: SignatureFindings, record: IssuanceRecord | None, now: datetime, digest_key: bytes
) -> list[CheckLine]:
    number_ok = f.token_number is not None and f.token_number == f.number and record is not None
    lines = [
        _line(
            "number",
            "문서확인번호 일치",
            number_ok,
            f"문서와 QR 토큰의 문서확인번호({display(f.number or '')})가 발급 기록과 같습니다.",
            "문서, QR 토큰, 발급 기록의 문서확인번호가 서로 다르거나 발급 기록이 없습니다.",
        )
    ]
    if record is None:
        lines.append(
            _line("record", "발급 기록", False, "", "이 문서확인번호로 발급된 기록이 없습니다.")
        )
        return lines
    digest_ok = f.token_digest is not None and hmac.compare_digest(
        f.token_digest, public_digest(digest_key, record.content_hash)
    )
    lines.append(
        _line(
            "digest",
            "내용 확인값",
            digest_ok,
            "QR 토큰의 내용 확인값이 발급 기록과 같습니다.",
            "QR 토큰의 내용 확인값이 발급 기록과 다릅니다.",
        )
    )
    status = status_of(record, now)
    if status is VerificationStatus.VOIDED:
        failed = f"발급이 취소된 문서입니다 (취소 일시 {_kst(record.voided_at or now)})."
    elif status is VerificationStatus.PROBE:
        failed = "시험 발급 문서입니다. 법적 효력이 없으니 유효한 문서로 받지 마십시오."
    else:
        failed = f"확인 기간이 지난 문서입니다 (확인 기한 {_kst(record.expires_at)})."
    lines.append(
        _line(
            "record",
            "발급 기록",
            status is VerificationStatus.VALID,
            f"취소되지 않은 유효한 발급 기록이 있습니다 (확인 기한 {_kst(record.expires_at)}).",
            failed,
        )
    )
    return lines


def _identity_line(record: IssuanceRecord | None, upload_sha256: str) -> CheckLine:
    if record is None or record.pdf_sha256 is None:
        return CheckLine(
            "identical",
            "발급 원본과 동일",
            Outcome.UNKNOWN,
            "발급된 파일의 확인값이 기록되어 있지 않아 같은 파일인지 확인할 수 없습니다.",
        )
    return _line(
        "identical",
        "발급 원본과 동일",
        hmac.compare_digest(record.pdf_sha256, upload_sha256),
        "발급된 파일과 한 바이트도 다르지 않습니다 (SHA-256 일치).",
        "발급된 파일과 다른 파일입니다 (SHA-256 불일치).",
    )


def check_document(
    findings: SignatureFindings,
    record: IssuanceRecord | None,
    *,
    upload_sha256: str,
    now: datetime,
    digest_key: bytes,
) -> DocumentCheck:
    """Returns each check with 통과/실패 and why, and the verdict: genuine only when every
    check passed, untrusted when any failed."""
    lines = (
        _signature_lines(findings)
        + _record_lines(findings, record, now, digest_key)
        + [_identity_line(record, upload_sha256)]
    )
    outcomes = {line.outcome for line in lines}
    if Outcome.FAILED in outcomes:
        verdict = Verdict.UNTRUSTED
    elif Outcome.UNKNOWN in outcomes:
        verdict = Verdict.UNCONFIRMED
    else:
        verdict = Verdict.GENUINE
    return DocumentCheck(
        verdict=verdict,
        number=record.number if record else (findings.token_number or findings.number),
        status=status_of(record, now) if record else None,
        lines=tuple(lines),
    )
