"""Finds full 주민등록번호 in text that must not carry one (pages, API answers, logs).

Thirteen digits in a row are not a resident registration number. A random token (a CSRF
HMAC in hex, an idempotency key, a base64 session id) holds such runs by chance often
enough that a plain ``\\d{6}-?\\d{7}`` fails a test every few dozen pages. What counts here
is what a person could read as somebody's number:

- it stands alone: no letter or digit right before or after it (inside a token it does not);
- ``YYMMDD`` is a real date in the century its seventh digit gives, not in the future;
- the check digit holds, for anyone born before October 2020 (those born since carry a
  random tail: DOMAIN.md).

Masked forms (``YYMMDD-G******``) never match. This is written apart from the product's
own validator (``minwon.registry.rrn``) so that a bug there cannot hide a leak here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(\d{2})(\d{2})(\d{2})-?(\d)(\d{6})(?![0-9A-Za-z])")
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
CHECKSUM_ENDED = date(2020, 10, 1)
CENTURY = {9: 1800, 0: 1800, 1: 1900, 2: 1900, 5: 1900, 6: 1900, 3: 2000, 4: 2000, 7: 2000, 8: 2000}


def _is_number(match: re.Match[str], today: date) -> bool:
    yy, mm, dd, g, tail = match.groups()
    try:
        born = date(CENTURY[int(g)] + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    if born > today:
        return False
    if born >= CHECKSUM_ENDED:
        return True
    digits = yy + mm + dd + g + tail
    total = sum(int(d) * w for d, w in zip(digits[:12], WEIGHTS, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def full_numbers(text: str, *, today: date | None = None) -> Iterator[re.Match[str]]:
    """Yields each full resident registration number in ``text``."""
    day = today or date.today()
    for match in CANDIDATE.finditer(text):
        if _is_number(match, day):
            yield match


def where(text: str, match: re.Match[str]) -> str:
    """Returns the text around a match with every digit hidden (safe to print)."""
    around = text[max(0, match.start() - 120) : match.end() + 40]
    return re.sub(r"\d", "#", around)


def assert_no_full_number(text: str, label: str) -> None:
    """Fails, saying where but not what, if ``text`` holds a full number."""
    found = next(full_numbers(text), None)
    if found is not None:
        raise AssertionError(f"{label}: a full 주민등록번호 is in it near: {where(text, found)}")
