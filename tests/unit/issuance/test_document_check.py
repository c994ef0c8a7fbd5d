"""The answer on an uploaded PDF: every check with 통과/실패 and why; genuine only when
all pass, and "do not trust it" as soon as one fails."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from minwon.issuance.document_check import (
    Outcome,
    SignatureFindings,
    Verdict,
    check_document,
)
from minwon.issuance.records import IssuanceRecord, IssuanceStatus, public_digest

KEY = b"k" * 32
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NUMBER = "4821093756102394"
SHA = "a" * 64
RECORD = IssuanceRecord(
    id="i-1",
    number=NUMBER,
    request_ref="r",
    document_type="deungbon",
    subject_ref="resident:1",
    requester_kind="citizen",
    requester_ref="c",
    channel="online",
    office_code="4511000000",
    issued_at=NOW - timedelta(days=1),
    expires_at=NOW + timedelta(days=89),
    snapshot="{}",
    content_hash="b" * 64,
    pdf_sha256=SHA,
)
GOOD = SignatureFindings(
    signature_valid=True,
    trusted=True,
    coverage_entire=True,
    number=NUMBER,
    token_number=NUMBER,
    token_digest=public_digest(KEY, "b" * 64),
)


def test_the_issued_file_passes_every_check() -> None:
    result = check_document(GOOD, RECORD, upload_sha256=SHA, now=NOW, digest_key=KEY)
    assert result.verdict is Verdict.GENUINE and result.trustworthy
    assert [line.code for line in result.lines] == [
        "signature",
        "coverage",
        "trust",
        "token",
        "number",
        "digest",
        "record",
        "identical",
    ]
    assert {line.outcome for line in result.lines} == {Outcome.PASSED}
    assert result.headline == "발급된 그대로의 유효한 문서입니다."


def test_a_file_other_than_the_one_issued_is_not_trusted() -> None:
    result = check_document(GOOD, RECORD, upload_sha256="c" * 64, now=NOW, digest_key=KEY)
    assert result.verdict is Verdict.UNTRUSTED and "믿지 마십시오" in result.headline
    assert [line.outcome for line in result.lines if line.code == "identical"] == [Outcome.FAILED]


def test_without_a_recorded_file_hash_the_copy_is_unconfirmed_not_genuine() -> None:
    result = check_document(
        GOOD, replace(RECORD, pdf_sha256=None), upload_sha256=SHA, now=NOW, digest_key=KEY
    )
    assert result.verdict is Verdict.UNCONFIRMED and not result.trustworthy
    line = next(line for line in result.lines if line.code == "identical")
    assert line.outcome is Outcome.UNKNOWN and line.outcome.label == "확인할 수 없음"
    assert "믿지 마십시오" in result.headline


def test_a_voided_record_fails_with_its_date() -> None:
    voided = replace(
        RECORD, status=IssuanceStatus.VOIDED, voided_at=datetime(2026, 11, 30, 6, 5, tzinfo=UTC)
    )
    result = check_document(GOOD, voided, upload_sha256=SHA, now=NOW, digest_key=KEY)
    line = next(line for line in result.lines if line.code == "record")
    assert line.outcome is Outcome.FAILED and "2026-11-30 15:05" in line.detail
    assert result.verdict is Verdict.UNTRUSTED


def test_a_broken_signature_a_foreign_signer_or_a_swapped_token_each_fail() -> None:
    cases = {
        "signature": replace(GOOD, signature_valid=False),
        "trust": replace(GOOD, trusted=False),
        "coverage": replace(GOOD, problems=(("pdf.modified_after_signing", "수정됨"),)),
        "token": replace(GOOD, token_number=None, token_digest=None),
        "number": replace(GOOD, number="1111222233334444"),
        "digest": replace(GOOD, token_digest="0" * 64),
    }
    for code, findings in cases.items():
        result = check_document(findings, RECORD, upload_sha256=SHA, now=NOW, digest_key=KEY)
        failed = {line.code for line in result.lines if line.outcome is Outcome.FAILED}
        assert code in failed, (code, failed)
        assert result.verdict is Verdict.UNTRUSTED


def test_no_record_for_the_number_fails() -> None:
    result = check_document(GOOD, None, upload_sha256=SHA, now=NOW, digest_key=KEY)
    outcomes = {line.code: line.outcome for line in result.lines}
    assert outcomes["record"] is Outcome.FAILED and outcomes["number"] is Outcome.FAILED
    assert result.verdict is Verdict.UNTRUSTED and result.number == NUMBER
