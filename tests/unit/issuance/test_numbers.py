"""문서확인번호: random, 16 digits, and a check digit that catches typos."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minwon.issuance.numbers import InvalidNumber, damm_digit, display, new_number, normalise


def test_new_numbers_are_16_digits_with_a_valid_check_digit_and_do_not_repeat() -> None:
    numbers = {new_number() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(len(n) == 16 and n.isdigit() and damm_digit(n) == 0 for n in numbers)


def test_display_and_normalise_round_trip() -> None:
    number = new_number()
    assert normalise(display(number)) == number
    assert normalise(" " + display(number).replace("-", " ") + " ") == number


@given(st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(position: int, delta: int) -> None:
    number = new_number()
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidNumber) as err:
        normalise(wrong)
    assert err.value.code == "number.check_digit"


@given(st.integers(min_value=0, max_value=14))
def test_any_adjacent_transposition_is_caught(position: int) -> None:
    number = new_number()
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(InvalidNumber):
        normalise(swapped)


@pytest.mark.parametrize("text", ["", "1234", "1234-5678-9012-345X", "12345678901234567"])
def test_malformed_numbers_are_rejected_with_a_format_code(text: str) -> None:
    with pytest.raises(InvalidNumber) as err:
        normalise(text)
    assert err.value.code == "number.format"
