"""The second factor: a date in any common spelling, compared in constant time; a wrong
one is just wrong (no hint which part), and the birth date comes from the printed number."""

from __future__ import annotations

from datetime import date

import pytest

from minwon.config import Settings, SettingsError
from minwon.issuance.disclosure import SecondFactor, factor_matches
from minwon.registry.rrn import birth_date_of

BORN = date(1985, 3, 2)


@pytest.mark.parametrize(
    "given", ["1985-03-02", "19850302", "850302", "1985.03.02", " 1985 03 02 "]
)
def test_the_right_date_matches_however_it_is_written(given: str) -> None:
    assert factor_matches(given, BORN)


@pytest.mark.parametrize(
    "given", ["1985-03-03", "1885-03-02", "2085-03-02", "850303", "0302", "", "x" * 500, "1985030"]
)
def test_anything_else_does_not(given: str) -> None:
    assert not factor_matches(given, BORN)


def test_a_very_long_answer_is_cut_before_it_is_read() -> None:
    assert not factor_matches("19850302" + "9" * 10_000, BORN)


@pytest.mark.parametrize(
    ("shown", "born"),
    [
        ("850302-1******", date(1985, 3, 2)),
        ("050302-4******", date(2005, 3, 2)),
        ("991231-2123456", date(1999, 12, 31)),
        ("990230-1******", None),  # not a date
        ("", None),
        ("******-*******", None),
    ],
)
def test_the_birth_date_is_read_from_a_printed_number(shown: str, born: date | None) -> None:
    assert birth_date_of(shown) == born


def test_the_city_setting_names_one_of_three_factors() -> None:
    assert Settings.from_env({}).verification.second_factor == "none"
    chosen = Settings.from_env({"MINWON_VERIFY_SECOND_FACTOR": "Birth_Date"})
    assert SecondFactor(chosen.verification.second_factor) is SecondFactor.BIRTH_DATE
    assert SecondFactor.BIRTH_DATE.label == "생년월일"
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"MINWON_VERIFY_SECOND_FACTOR": "password"})
    assert "MINWON_VERIFY_SECOND_FACTOR" in err.value.detail
    with pytest.raises(SettingsError):
        Settings.from_env({"MINWON_VERIFY_FACTOR_ATTEMPTS_PER_HOUR": "0"})
