"""문서확인번호: 15 random digits from a CSPRNG plus a Damm check digit.

Damm's quasigroup catches every single-digit error and every adjacent transposition, so a
mistyped number is rejected before any lookup (and never reveals whether it exists).
"""

from __future__ import annotations

import re
import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
LENGTH = 16
_SEPARATORS = re.compile(r"[\s\-]")


class InvalidNumber(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def damm_digit(digits: str) -> int:
    """Returns the Damm check digit for a string of digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim


def new_number() -> str:
    """Returns a fresh, unguessable 16-digit number (uniqueness is the database's job)."""
    body = "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - 1))
    # A leading zero is fine for humans but confuses spreadsheets; avoid it.
    if body[0] == "0":
        body = str(1 + secrets.randbelow(9)) + body[1:]
    return body + str(damm_digit(body))


def normalise(text: str) -> str:
    """Returns the 16 digits of a typed number, or raises InvalidNumber with a Korean detail."""
    digits = _SEPARATORS.sub("", text)
    # ASCII only: str.isdigit() also takes full-width ０-９, superscripts and other scripts.
    if not (digits.isascii() and digits.isdigit()) or len(digits) != LENGTH:
        raise InvalidNumber("number.format", "문서확인번호는 숫자 16자리입니다.")
    if damm_digit(digits) != 0:
        raise InvalidNumber(
            "number.check_digit", "문서확인번호가 올바르지 않습니다. 다시 확인해 주세요."
        )
    return digits


def display(digits: str) -> str:
    """Returns ``xxxx-xxxx-xxxx-xxxx``."""
    return "-".join(digits[i : i + 4] for i in range(0, LENGTH, 4))
