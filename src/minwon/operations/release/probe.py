"""The synthetic end-to-end probe: does this running build issue and verify correctly?

``run_probe`` signs in as the probe's account (issuance/probes.py; ``minwon probe setup``),
issues a probe document, downloads its PDF, verifies it through the public API, and asks
for a document the probe is not entitled to. Each check is timed and named; the first
that fails stops the run and says why, in Korean with a stable code. Every request has a
short deadline over its whole answer (not only per read), so a hung or dripping build
fails the probe in seconds instead of hanging a release.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from minwon.issuance.probes import (
    EXPECTED_REFUSAL,
    PROBE_DOCUMENT,
    PROBE_OFFICE,
    PROBE_OTHER,
    PROBE_PDF_KEY,
    PROBE_PDF_VALUE,
    PROBE_USERNAME,
)

DEADLINE_SECONDS = 2.0  # per request, for its whole answer
MIN_PDF_BYTES = 5_000  # a signed one-page 초본 is ~60 KB; an empty or cut file is less
MAX_PDF_BYTES = 5_000_000
MAX_ANSWER_BYTES = 8_000_000  # read no further: a broken build must not flood the probe
API = "/api/v1"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # an earlier check failed


@dataclass(frozen=True, slots=True)
class ProbeCredentials:
    """The probe account's sign-in; the password comes from ``minwon probe setup``."""

    password: str
    username: str = PROBE_USERNAME


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One named check: its outcome, how long it took, and why it failed (Korean + code)."""

    name: str
    label: str
    outcome: Outcome
    seconds: float = 0.0
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The whole probe: passed only when every check passed."""

    base_url: str
    checks: tuple[CheckResult, ...]
    seconds: float
    number: str | None = None  # the probe document's 문서확인번호, once issued

    @property
    def passed(self) -> bool:
        return all(c.outcome is Outcome.PASSED for c in self.checks)

    @property
    def failed_check(self) -> CheckResult | None:
        return next((c for c in self.checks if c.outcome is Outcome.FAILED), None)

    @property
    def code(self) -> str:
        failed = self.failed_check
        return failed.code or "probe.failed" if failed else "probe.passed"

    @property
    def message(self) -> str:
        failed = self.failed_check
        if failed is None:
            return f"모든 점검을 통과했습니다 ({self.seconds:.2f}초)."
        return f"{failed.label} 점검 실패: {failed.message}"


class CheckFailed(Exception):
    """Raised inside a check; ``code`` is stable, ``message`` Korean."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> dict[str, Any]:
        import json

        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise CheckFailed("probe.answer_not_json", "응답이 JSON이 아닙니다.") from exc
        if not isinstance(data, dict):
            raise CheckFailed("probe.answer_not_json", "응답이 JSON 객체가 아닙니다.")
        return data

    @property
    def problem_code(self) -> str | None:
        try:
            code = self.json().get("code")
        except CheckFailed:
            return None
        return str(code) if code is not None else None


@dataclass
class _Session:
    client: httpx.Client
    deadline: float
    token: str | None = None
    issued: dict[str, Any] = field(default_factory=dict)

    def call(self, method: str, path: str, **kwargs: Any) -> _Answer:
        """One request that must be answered completely within the deadline."""
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        ends = time.monotonic() + self.deadline
        try:
            with self.client.stream(method, path, headers=headers, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if time.monotonic() > ends:
                        raise _timeout(self.deadline)
                    if len(body) > MAX_ANSWER_BYTES:
                        raise CheckFailed("probe.answer_too_large", "응답이 너무 큽니다.")
        except httpx.TimeoutException as exc:
            raise _timeout(self.deadline) from exc
        except httpx.HTTPError as exc:
            raise CheckFailed(
                "probe.unreachable", f"서버에 연결할 수 없습니다 ({type(exc).__name__})."
            ) from exc
        if time.monotonic() > ends:
            raise _timeout(self.deadline)
        return _Answer(response.status_code, response.headers, bytes(body))


def _timeout(seconds: float) -> CheckFailed:
    return CheckFailed("probe.timeout", f"{seconds:g}초 안에 응답하지 않았습니다.")


def _expect(answer: _Answer, status: int, code: str, what: str) -> None:
    if answer.status != status:
        problem = answer.problem_code
        raise CheckFailed(
            code,
            f"{what}: HTTP {answer.status}"
            + (f" ({problem})" if problem else "")
            + f", 기대한 값은 {status}입니다.",
        )


def _sign_in(s: _Session, credentials: ProbeCredentials) -> None:
    answer = s.call(
        "POST",
        f"{API}/auth/citizen",
        json={"username": credentials.username, "password": credentials.password},
    )
    _expect(answer, 200, "probe.sign_in_failed", "시험 계정으로 로그인하지 못했습니다")
    token = answer.json().get("token")
    if not isinstance(token, str) or not token:
        raise CheckFailed("probe.sign_in_failed", "로그인 응답에 토큰이 없습니다.")
    s.token = token


def _issue(s: _Session) -> None:
    answer = s.call(
        "POST",
        f"{API}/issuances",
        json={"document_type": PROBE_DOCUMENT},
        headers={"Idempotency-Key": f"probe-{uuid.uuid4().hex}"},
    )
    _expect(answer, 201, "probe.issue_failed", "시험 문서를 발급하지 못했습니다")
    data = answer.json()
    number = data.get("number")
    if not isinstance(number, str) or len(number) != 16 or not number.isdigit():
        raise CheckFailed("probe.issue_failed", "발급 응답에 올바른 문서확인번호가 없습니다.")
    if data.get("probe") is not True or (data.get("snapshot") or {}).get("probe_mark") is None:
        raise CheckFailed("probe.not_marked", "발급된 문서에 시험 발급 표시가 없습니다.")
    if data.get("office_code") != PROBE_OFFICE.code:
        raise CheckFailed(
            "probe.wrong_office",
            f"시험 문서가 시험 기관이 아닌 {data.get('office_code')}에서 발급되었습니다.",
        )
    fee = data.get("fee") or {}
    if fee.get("amount") != 0:
        raise CheckFailed(
            "probe.charged", f"시험 발급에 수수료 {fee.get('amount')}원이 매겨졌습니다."
        )
    if data.get("document_type") != PROBE_DOCUMENT:
        raise CheckFailed("probe.wrong_document", "요청한 것과 다른 종류의 문서가 발급되었습니다.")
    s.issued = data


def pdf_problem(pdf: bytes, *, number: str) -> CheckFailed | None:
    """Returns why ``pdf`` is not the well-formed, probe-marked PDF of ``number`` (None
    when it is): its size, its header and end, its structure as a PDF reader sees it,
    and the number and probe mark in its info dictionary."""
    if not MIN_PDF_BYTES <= len(pdf) <= MAX_PDF_BYTES:
        return CheckFailed(
            "probe.pdf_size", f"PDF 크기 {len(pdf):,}바이트가 정상 범위를 벗어났습니다."
        )
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-1024:]:
        return CheckFailed("probe.pdf_corrupt", "PDF의 머리말이나 끝(%%EOF)이 없습니다.")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        info = reader.trailer["/Info"]
        pages = int(reader.root["/Pages"]["/Count"])
        shown_number = str(info.get("/MinwonNumber", ""))
        mark = str(info.get(f"/{PROBE_PDF_KEY}", ""))
        signatures = reader.embedded_signatures
    except Exception as exc:  # any parse error is the finding itself
        return CheckFailed(
            "probe.pdf_corrupt", f"PDF 구조를 읽을 수 없습니다 ({type(exc).__name__})."
        )
    if pages < 1:
        return CheckFailed("probe.pdf_corrupt", "PDF에 쪽이 없습니다.")
    if shown_number != number:
        return CheckFailed("probe.pdf_wrong_number", "PDF의 문서확인번호가 발급 기록과 다릅니다.")
    if mark != PROBE_PDF_VALUE:
        return CheckFailed("probe.pdf_not_marked", "PDF에 시험 발급 표시가 없습니다.")
    if not signatures:
        return CheckFailed("probe.pdf_unsigned", "PDF에 전자서명이 없습니다.")
    # Intact and cryptographically sound; who signed is `minwon verify`'s business (the
    # city's trust bundle), not the probe's.
    try:
        context = ValidationContext(
            trust_roots=[], allow_fetching=False, revocation_mode="soft-fail"
        )
        status = validate_pdf_signature(signatures[0], context)
        sound = bool(status.intact and status.valid)
    except Exception as exc:
        return CheckFailed(
            "probe.pdf_signature_broken", f"전자서명을 검증할 수 없습니다 ({type(exc).__name__})."
        )
    if not sound:
        return CheckFailed("probe.pdf_signature_broken", "전자서명이 문서 내용과 맞지 않습니다.")
    return None


def _pdf(s: _Session) -> None:
    number = str(s.issued["number"])
    answer = s.call("GET", f"{API}/issuances/{number}/pdf")
    _expect(answer, 200, "probe.pdf_failed", "PDF를 내려받지 못했습니다")
    if not answer.headers.get("content-type", "").startswith("application/pdf"):
        raise CheckFailed("probe.pdf_failed", "내려받은 파일의 형식이 PDF가 아닙니다.")
    problem = pdf_problem(answer.body, number=number)
    if problem is not None:
        raise problem
    expected = s.issued.get("pdf_sha256")
    if expected:
        import hashlib

        if hashlib.sha256(answer.body).hexdigest() != expected:
            raise CheckFailed("probe.pdf_not_issued", "내려받은 PDF가 발급한 파일과 다릅니다.")


def _verify(s: _Session) -> None:
    number = str(s.issued["number"])
    answer = s.call("GET", f"{API}/verify/{number}")
    _expect(answer, 200, "probe.verify_failed", "진위 확인 API가 답하지 않았습니다")
    data = answer.json()
    if str(data.get("number", "")).replace("-", "") != number:
        raise CheckFailed("probe.verify_mismatch", "진위 확인의 문서확인번호가 발급과 다릅니다.")
    if data.get("document_type") != s.issued.get("document_type"):
        raise CheckFailed("probe.verify_mismatch", "진위 확인의 문서 종류가 발급과 다릅니다.")
    if data.get("status") != "probe" or data.get("probe") is not True:
        raise CheckFailed(
            "probe.verify_not_marked",
            f"진위 확인이 시험 발급 문서를 '{data.get('status')}'(으)로 답했습니다.",
        )
    if data.get("content_hash") != s.issued.get("content_hash"):
        raise CheckFailed("probe.verify_mismatch", "진위 확인의 내용 확인값이 발급과 다릅니다.")


def _entitlement(s: _Session) -> None:
    answer = s.call(
        "POST",
        f"{API}/issuances",
        json={"document_type": PROBE_DOCUMENT, "subject_resident_id": PROBE_OTHER.resident_id},
        headers={"Idempotency-Key": f"probe-{uuid.uuid4().hex}"},
    )
    if answer.status < 300:
        raise CheckFailed(
            "probe.entitlement_not_enforced",
            "다른 세대 사람의 초본을 인터넷으로 발급했습니다 (주민등록법 제29조③ 위반).",
        )
    code = answer.problem_code
    if answer.status != 403 or code != EXPECTED_REFUSAL:
        raise CheckFailed(
            "probe.entitlement_wrong_refusal",
            f"거부 응답이 HTTP {answer.status} ({code})입니다; "
            f"기대한 값은 403 ({EXPECTED_REFUSAL}).",
        )


_CHECKS: tuple[tuple[str, str], ...] = (
    ("sign_in", "로그인"),
    ("issue", "시험 발급"),
    ("pdf", "PDF"),
    ("verify", "진위 확인"),
    ("entitlement", "발급 자격"),
)


def run_probe(
    base_url: str,
    credentials: ProbeCredentials,
    *,
    deadline: float = DEADLINE_SECONDS,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> ProbeResult:
    """Runs the checks in order against the server at ``base_url``; stops at the first
    failure (the rest are skipped) and returns every check's outcome and duration."""
    steps: dict[str, Callable[[_Session], None]] = {
        "sign_in": lambda s: _sign_in(s, credentials),
        "issue": _issue,
        "pdf": _pdf,
        "verify": _verify,
        "entitlement": _entitlement,
    }
    timeout = httpx.Timeout(deadline)
    results: list[CheckResult] = []
    started = clock()
    with httpx.Client(
        base_url=base_url.rstrip("/"), timeout=timeout, transport=transport, trust_env=False
    ) as client:
        session = _Session(client, deadline)
        for name, label in _CHECKS:
            if results and results[-1].outcome is not Outcome.PASSED:
                results.append(CheckResult(name, label, Outcome.SKIPPED))
                continue
            began = clock()
            try:
                steps[name](session)
            except CheckFailed as exc:
                results.append(
                    CheckResult(name, label, Outcome.FAILED, clock() - began, exc.code, exc.message)
                )
            else:
                results.append(CheckResult(name, label, Outcome.PASSED, clock() - began))
    number = session.issued.get("number")
    return ProbeResult(
        base_url=base_url,
        checks=tuple(results),
        seconds=clock() - started,
        number=str(number) if number else None,
    )
