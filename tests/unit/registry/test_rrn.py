"""주민등록번호 validation per DOMAIN.md, including post-2020 numbers without a check digit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minwon.registry.rrn import (
    InvalidRrn,
    check_digit,
    gender_digit,
    mask,
    parse,
    redact,
)


def _with_check(first12: str) -> str:
    return first12 + str(check_digit(first12))


def test_a_pre_2020_number_with_a_correct_check_digit_is_valid() -> None:
    number = _with_check("900101123456")
    facts = parse(number)
    assert facts.birth_date == date(1990, 1, 1) and facts.sex == "M" and facts.has_check_digit


def test_a_pre_2020_number_with_a_wrong_check_digit_is_rejected() -> None:
    good = _with_check("850615234567")
    bad = good[:12] + str((int(good[12]) + 1) % 10)
    with pytest.raises(InvalidRrn) as err:
        parse(bad)
    assert err.value.code == "rrn.check_digit"
    assert bad not in str(err.value)


def test_a_child_born_after_october_2020_has_no_check_digit() -> None:
    good_tail = _with_check("210305412345")
    any_tail = good_tail[:12] + str((int(good_tail[12]) + 3) % 10)
    facts = parse(any_tail)
    assert facts.birth_date == date(2021, 3, 5) and facts.sex == "F"
    assert not facts.has_check_digit


def test_a_number_reissued_after_the_change_skips_the_checksum() -> None:
    good = _with_check("750101187654")
    reissued = good[:12] + str((int(good[12]) + 1) % 10)
    with pytest.raises(InvalidRrn):
        parse(reissued)
    assert not parse(reissued, issued_on=date(2022, 5, 1)).has_check_digit


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("90010-1234567", "rrn.format"),
        ("9001011234", "rrn.format"),
        ("abcdef-1234567", "rrn.format"),
        ("901301-1234567", "rrn.birth_date"),
        ("900230-2234567", "rrn.birth_date"),
    ],
)
def test_malformed_numbers_give_a_stable_code(number: str, code: str) -> None:
    with pytest.raises(InvalidRrn) as err:
        parse(number)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("g", "year", "sex", "foreign"),
    [
        (9, 1899, "M", False),
        (0, 1899, "F", False),
        (1, 1999, "M", False),
        (2, 1999, "F", False),
        (3, 2001, "M", False),
        (4, 2001, "F", False),
        (5, 1999, "M", True),
        (6, 1999, "F", True),
        (7, 2001, "M", True),
        (8, 2001, "F", True),
    ],
)
def test_the_gender_digit_gives_century_sex_and_foreign_status(
    g: int, year: int, sex: str, foreign: bool
) -> None:
    number = _with_check(f"{year % 100:02d}0101{g}12345")
    facts = parse(number)
    assert (facts.birth_date.year, facts.sex, facts.foreign) == (year, sex, foreign)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 9, 30)), st.sampled_from("MF"))
def test_every_generated_pre_2020_number_round_trips(birth: date, sex: str) -> None:
    g = gender_digit(birth, sex)
    number = _with_check(birth.strftime("%y%m%d") + str(g) + "12345")
    facts = parse(number)
    assert facts.birth_date == birth and facts.sex == sex


def test_masking_shows_birth_date_and_gender_digit_only() -> None:
    assert mask("9001011234568") == "900101-1******"
    assert mask("900101-1234568", show_back=True) == "900101-1234568"


def test_redaction_masks_numbers_inside_text() -> None:
    text = "subject 900101-1234568 and 8506152345678 but not order 12345678901234"
    cleaned = redact(text)
    assert "1234568" not in cleaned and "2345678" not in cleaned.split("order")[0]
    assert "900101-1******" in cleaned and "850615-2******" in cleaned
