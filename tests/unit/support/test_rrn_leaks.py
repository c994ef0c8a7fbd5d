"""The tests' full-number detector finds every real number and never a random token.

A check over random material must not fail by chance: the browser tests once failed
because a CSRF token (64 hex characters) held 13 digits in a row. The detector now asks
for what makes a number a number (standing alone, a real birth date, the check digit where
it applies); these tests prove both halves on many seeded tokens and on every number the
demo registry makes.
"""

from __future__ import annotations

import base64
import random
import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from minwon.demo.households import HouseholdGenerator
from minwon.registry.rrn import check_digit
from minwon.registry.vault import RrnVault
from support.rrn_leaks import assert_no_full_number, full_numbers, where

TODAY = date(2026, 12, 3)
NAIVE = re.compile(r"(?<!\d)\d{6}-?[1-8]\d{6}(?!\d)")  # the detector that failed by chance


def _tokens(rng: random.Random, count: int) -> list[str]:
    """CSRF HMACs (hex), idempotency keys, session ids (base64url), as the pages carry."""
    made = []
    for _ in range(count):
        made.append(f"{rng.getrandbits(256):064x}")
        made.append(f"kiosk-{rng.getrandbits(128):032x}")
        made.append(base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode())
    return made


def test_no_random_token_is_taken_for_a_number() -> None:
    tokens = _tokens(random.Random(20261203), 30_000)
    page = "\n".join(f'<input type="hidden" name="csrf_token" value="{t}">' for t in tokens)
    assert len(NAIVE.findall(page)) > 100  # the old detector: a "leak" on many pages
    assert list(full_numbers(page, today=TODAY)) == []


@given(st.text(alphabet="0123456789abcdef", min_size=14, max_size=128))
def test_a_hex_string_longer_than_a_number_never_holds_one(token: str) -> None:
    assert list(full_numbers(f'value="{token}"', today=TODAY)) == []


def _demo_numbers(count: int) -> list[str]:
    gen = HouseholdGenerator(seed=7, vault=RrnVault(b"k" * 32, b"p" * 32), today=TODAY)
    while len(gen.state.rrns) < count:
        gen.household(gen.household_size())
    return sorted(gen.state.rrns)


def test_every_demo_number_is_found_in_text_attributes_and_with_or_without_hyphen() -> None:
    numbers = _demo_numbers(3_000)
    for n, digits in enumerate(numbers):
        shown = f"{digits[:6]}-{digits[6:]}" if n % 2 else digits
        for page in (
            f"<p>주민등록번호: {shown}</p>",
            f'<input type="hidden" name="rrn" value="{shown}">',
            f"{shown}",
            f'{{"rrn":"{shown}"}}',
        ):
            found = list(full_numbers(page, today=TODAY))
            assert len(found) == 1, where(page, found[0]) if found else page.replace(shown, "#")


def test_numbers_of_every_kind_are_found() -> None:
    before = "800101-1" + "23456"  # born 1980: the check digit applies
    with_check = before + str(check_digit(before.replace("-", "")))
    random_tail = "210315-4" + "918273"  # born 2021: random tail, no check digit
    foreign = "950707-5" + "12345"
    foreign += str(check_digit(foreign.replace("-", "")))
    for number in (with_check, random_tail, foreign):
        assert len(list(full_numbers(f"<td>{number}</td>", today=TODAY))) == 1


def test_what_is_not_a_number_is_not_found() -> None:
    before = "800101-123456"
    wrong_check = before + str((check_digit(before.replace("-", "")) + 1) % 10)
    for text in (
        "900101-1******",  # masked, as documents and pages show it
        "991332-1234567",  # no 13th month
        "300101-3123456",  # born in 2030: not yet
        wrong_check,
        "x8001011234568",  # part of a longer token
        "8001011234568x",
        "18001011234568",  # fourteen digits
    ):
        assert list(full_numbers(text, today=TODAY)) == [], text


def test_a_failure_says_where_without_printing_the_number() -> None:
    number = _demo_numbers(1)[0]
    try:
        assert_no_full_number(f"<p>신청인 {number}</p>", "page")
    except AssertionError as exc:
        assert number not in str(exc) and "#" in str(exc)
    else:
        raise AssertionError("the number was not found")
