"""주민등록번호 (resident registration number): validation and masking. Pure.

Format ``YYMMDD-GNNNNNN``. G gives century and sex (9/0: 1800s, 1/2: 1900s, 3/4: 2000s,
5-8: foreign residents). Numbers issued before October 2020 end in a check digit
``(11 - Σ dᵢ·wᵢ mod 11) mod 10`` with weights 2,3,4,5,6,7,8,9,2,3,4,5; numbers issued since
are random after G and carry none, so the checksum is checked only where it applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from minwon.inputs import without_rrns

WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
CHECKSUM_ABOLISHED = date(2020, 10, 1)
# ASCII digits only: ``\d`` would take full-width ０-９ and other scripts' digits too.
_PATTERN = re.compile(r"^([0-9]{6})-?([0-9]{7})$")
_CENTURY = {
    9: 1800,
    0: 1800,
    1: 1900,
    2: 1900,
    3: 2000,
    4: 2000,
    5: 1900,
    6: 1900,
    7: 2000,
    8: 2000,
}


class InvalidRrn(ValueError):
    """Raised with a stable code; its message never contains the number itself."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RrnFacts:
    digits: str
    birth_date: date
    sex: str  # "M" or "F"
    foreign: bool
    has_check_digit: bool


def check_digit(first12: str) -> int:
    """Returns the pre-2020 check digit for the first twelve digits."""
    total = sum(int(d) * w for d, w in zip(first12, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def parse(value: str, *, issued_on: date | None = None) -> RrnFacts:
    """Validates a number and returns what it says.

    The check digit applies to numbers issued before October 2020. A number's issue date
    is not in the number: anyone born on or after 2020-10-01 holds a random-tail number;
    anyone born earlier is checked unless ``issued_on`` says the number was (re)issued
    after the change (주민등록번호 변경, 외국인 신규 등록).
    """
    match = _PATTERN.match(value.strip())
    if not match:
        raise InvalidRrn("rrn.format", "주민등록번호는 앞 6자리와 뒤 7자리 숫자여야 합니다.")
    front, back = match.groups()
    digits = front + back
    gender = int(back[0])
    year = _CENTURY[gender] + int(front[:2])
    try:
        birth = date(year, int(front[2:4]), int(front[4:6]))
    except ValueError as exc:
        raise InvalidRrn("rrn.birth_date", "주민등록번호의 생년월일이 올바르지 않습니다.") from exc
    issued = issued_on or birth
    has_check = issued < CHECKSUM_ABOLISHED
    if has_check and check_digit(digits[:12]) != int(digits[12]):
        raise InvalidRrn("rrn.check_digit", "주민등록번호의 검증번호가 맞지 않습니다.")
    return RrnFacts(
        digits=digits,
        birth_date=birth,
        sex="M" if gender % 2 == 1 else "F",
        foreign=5 <= gender <= 8,
        has_check_digit=has_check,
    )


def birth_date_of(shown: str) -> date | None:
    """Returns the birth date a number gives by its front six digits and G, as printed
    (``YYMMDD-G******`` or whole); None when those are not there or not a date."""
    match = re.match(r"^\s*([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9])", shown)
    if not match:
        return None
    yy, mm, dd, gender = (int(g) for g in match.groups())
    try:
        return date(_CENTURY[gender] + yy, mm, dd)
    except ValueError:
        return None


def is_valid(value: str, *, issued_on: date | None = None) -> bool:
    try:
        parse(value, issued_on=issued_on)
    except InvalidRrn:
        return False
    return True


def gender_digit(birth: date, sex: str, *, foreign: bool = False) -> int:
    """Returns G for a birth date and sex."""
    base = {1800: 9, 1900: 1, 2000: 3}[birth.year // 100 * 100]
    if foreign:
        base = {1900: 5, 2000: 7}.get(birth.year // 100 * 100, 5)
    if base == 9:
        return 9 if sex == "M" else 0
    return base if sex == "M" else base + 1


def format_rrn(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def mask(digits: str, *, show_back: bool = False) -> str:
    """Returns ``YYMMDD-G******`` (or the whole number when ``show_back``)."""
    digits = digits.replace("-", "")
    if show_back:
        return format_rrn(digits)
    return f"{digits[:6]}-{digits[6]}******"


_FULL_RRN = re.compile(r"(?<!\d)(\d{6})-?([1-8]\d{6})(?!\d)")


def redact(text: str) -> str:
    """Replaces anything that looks like a full number with its masked form: also one
    written with spaces or dots, in full-width digits, or with another dash
    (``inputs.without_rrns``)."""
    return without_rrns(_FULL_RRN.sub(lambda m: f"{m.group(1)}-{m.group(2)[0]}******", text))
