"""What people type, made safe to keep: Hangul in NFC, numbers in ASCII digits, dates the
service can hold, and free text without a 주민등록번호 in it. Pure.

Hangul typed on macOS or pasted from some PDFs arrives decomposed (NFD: ㄱ+ㅏ+ㅁ instead of
감), which compares unequal to the registry's NFC names; every input is normalised here.

A number in free text (a purpose, a void reason, an address) would be stored as it is and
printed on a document that masks everyone's numbers, so it is refused before either. What
counts as one: thirteen digits in groups of 6+7, 13, or any split with spaces, dashes or
dots between them, in any script's digits (full-width ０-９ too), whose first six digits are
a real date in the century the seventh gives. The check digit is not asked for: numbers
issued since October 2020 have none, and a mistyped number is still somebody's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from minwon.errors import InvalidRequest

# The dates a 주민등록번호 can express (G = 9/0: the 1800s … G = 3/4: the 2000s); no date
# the service keeps or looks up lies outside them.
EARLIEST_DATE = date(1800, 1, 1)
LATEST_DATE = date(2099, 12, 31)

_CENTURY = {g: 1800 for g in (9, 0)} | {g: 1900 for g in (1, 2, 5, 6)}
_CENTURY |= {g: 2000 for g in (3, 4, 7, 8)}
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Between the digit groups of one written number: spaces, dashes and dots of any width.
_JOINERS = frozenset(
    " \t\u00a0\u3000"  # spaces, ideographic space
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"  # hyphens, dashes, minus signs
    "._\u00b7\uff0e"  # dots
)
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def nfc(text: str) -> str:
    """Returns ``text`` in Unicode NFC (composed Hangul syllables)."""
    return unicodedata.normalize("NFC", text)


def ascii_digits(text: str) -> bool:
    """Returns True when ``text`` is one or more of 0-9 and nothing else (not ０-９ or ٣)."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def date_in_range(day: date) -> bool:
    """Returns True for a date the service can hold (EARLIEST_DATE … LATEST_DATE)."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def _plausible(digits: str) -> bool:
    """Returns True when 13 digits read as YYMMDD-G…… with a real date."""
    yy, mm, dd, g = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    try:
        date(_CENTURY[g] + yy, mm, dd)
    except ValueError:
        return False
    return True


def _groups(text: str) -> Iterator[list[tuple[int, int, str]]]:
    """Yields each written number: its digit groups as (start, end, ASCII digits)."""
    run: list[tuple[int, int, str]] = []
    start, digits = -1, ""
    for i, ch in enumerate(text):
        if ch.isdecimal():
            if not digits:
                start = i
            digits += str(unicodedata.decimal(ch))
            continue
        if digits:
            run.append((start, i, digits))
            digits = ""
        if ch in _JOINERS or ch in _INVISIBLE:
            continue
        if run:
            yield run
        run = []
    if digits:
        run.append((start, len(text), digits))
    if run:
        yield run


def rrn_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Yields (start, end, its 13 digits) for every 주민등록번호 written in ``text``."""
    for run in _groups(text):
        for i in range(len(run)):
            total = ""
            for j in range(i, len(run)):
                total += run[j][2]
                if len(total) >= 13:
                    if len(total) == 13 and _plausible(total):
                        yield run[i][0], run[j][1], total
                    break


def holds_rrn(text: str) -> bool:
    """Returns True when ``text`` holds something written as a 주민등록번호."""
    return next(rrn_spans(text), None) is not None


def without_rrns(text: str) -> str:
    """Returns ``text`` with each 주민등록번호 in it masked as ``YYMMDD-G******``."""
    spans = list(rrn_spans(text))
    for start, end, digits in reversed(spans):
        text = f"{text[:start]}{digits[:6]}-{digits[6]}******{text[end:]}"
    return text


class RrnInFreeText(InvalidRequest):
    title = "주민등록번호는 적을 수 없습니다"


def free_text(value: str, *, what: str, field: str | None = None) -> str:
    """Returns ``value`` in NFC, or raises RrnInFreeText (422) when it holds a number.

    ``what`` names the field in Korean for the message (발급 목적, 취소 사유 …); the
    number itself is never repeated back.
    """
    text = nfc(value)
    if holds_rrn(text):
        raise RrnInFreeText(
            "input.rrn_in_free_text",
            f"{what}에 주민등록번호를 적을 수 없습니다. 번호를 지우고 다시 입력해 주세요.",
            field=field,
        )
    return text
