"""When verification may show the whole document, not only the masked summary.

Only a valid document is shown whole (a voided or expired one shows its status and dates).
A city may also ask for a second factor with the number (MINWON_VERIFY_SECOND_FACTOR):
the issue date, or the subject's birth date (from the front of the 주민등록번호 the
document prints; a 등본, which prints a household, asks for the birth date of the
resident it was issued for; a building's record asks for the issue date). The answer
to a wrong factor never says which part was wrong, and the comparison takes constant time.

A paper that prints a whole 주민등록번호 (the requester chose 뒷자리 and was entitled to)
is shown whole only to someone who gives the subject's birth date, whatever the city's
setting: the page image would otherwise hand whole numbers to anyone holding the number.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from minwon.clock import KST
from minwon.issuance.context import IssuanceContext
from minwon.issuance.records import IssuanceRecord
from minwon.issuance.verification import (
    VerificationResult,
    VerificationStatus,
    record_for_number,
    summarise,
)
from minwon.registry.rrn import birth_date_of
from minwon.storage import retry_transient

MAX_FACTOR_CHARS = 40
_WHOLE_NUMBER = re.compile(r"(?<!\d)\d{6}-?[1-8]\d{6}(?!\d)")


class SecondFactor(StrEnum):
    NONE = "none"
    ISSUE_DATE = "issue_date"
    BIRTH_DATE = "birth_date"

    @property
    def label(self) -> str:
        return {"none": "", "issue_date": "발급일", "birth_date": "생년월일"}[self.value]


class FactorState(StrEnum):
    NOT_REQUIRED = "not_required"
    MISSING = "missing"
    REJECTED = "rejected"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A verification and how much of the document it may show."""

    summary: VerificationResult
    record: IssuanceRecord
    factor: SecondFactor
    factor_state: FactorState

    @property
    def full_view(self) -> bool:
        """True when the page image and the items may be shown."""
        return self.summary.status is VerificationStatus.VALID and self.factor_state in (
            FactorState.NOT_REQUIRED,
            FactorState.ACCEPTED,
        )


def factor_matches(given: str, expected: date) -> bool:
    """Returns True when ``given`` is ``expected`` as YYYYMMDD or YYMMDD (any separators),
    compared in constant time."""
    digits = "".join(ch for ch in given[:MAX_FACTOR_CHARS] if ch.isdigit())
    full = f"{expected.year:04d}{expected.month:02d}{expected.day:02d}"
    wanted = full[2:] if len(digits) == 6 else full
    return hmac.compare_digest(digits.encode(), wanted.encode())


def _issue_date(record: IssuanceRecord) -> date:
    return record.issued_at.astimezone(KST).date()


def _birth_date(ctx: IssuanceContext, record: IssuanceRecord) -> date | None:
    person = record.snapshot_data().get("person") or {}
    printed = birth_date_of(str(person.get("rrn") or ""))
    if printed is not None:
        return printed
    kind, _, resident_id = record.subject_ref.partition(":")
    if kind != "resident" or not resident_id:
        return None

    # A 등본 prints the whole household: the subject is the one the record names.
    def read() -> date | None:
        with ctx.uows(readonly=True) as uow:
            subject = uow.registry.resident(resident_id)
        return subject.birth_date if subject else None

    return retry_transient(read, seconds=ctx.db_retry_seconds)


def prints_whole_numbers(record: IssuanceRecord) -> bool:
    """Whether the issued paper shows any 주민등록번호 with its back half."""
    return _WHOLE_NUMBER.search(record.snapshot) is not None


def asked_of(record: IssuanceRecord, factor: SecondFactor) -> SecondFactor:
    """Returns what a person is asked for ``record``: the city's factor, the birth date for
    a paper with whole numbers, and for a building (no birth date) its issue date."""
    if factor is SecondFactor.NONE and prints_whole_numbers(record):
        factor = SecondFactor.BIRTH_DATE
    if factor is SecondFactor.BIRTH_DATE and record.subject_ref.startswith("building:"):
        return SecondFactor.ISSUE_DATE
    return factor


def expected_factor(
    ctx: IssuanceContext, record: IssuanceRecord, factor: SecondFactor
) -> date | None:
    """Returns the date a person must give for ``record`` (None: nothing can match)."""
    if asked_of(record, factor) is SecondFactor.BIRTH_DATE:
        return _birth_date(ctx, record)
    return _issue_date(record)


def disclose(
    ctx: IssuanceContext,
    *,
    number_text: str,
    factor: SecondFactor,
    given: str | None = None,
) -> Disclosure:
    """Returns the verification of a number and whether it may show the whole document."""
    record = record_for_number(ctx, number_text=number_text)
    summary = summarise(record, ctx.clock.now(), ctx.digest_key)
    asked = asked_of(record, factor)
    if asked is SecondFactor.NONE:
        state = FactorState.NOT_REQUIRED
    elif not given or not given.strip():
        state = FactorState.MISSING
    else:
        expected = expected_factor(ctx, record, asked)
        matches = expected is not None and factor_matches(given, expected)
        state = FactorState.ACCEPTED if matches else FactorState.REJECTED
    return Disclosure(summary=summary, record=record, factor=asked, factor_state=state)
