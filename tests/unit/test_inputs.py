"""What people type: a 주민등록번호 hidden in free text is found however it is written,
digits are ASCII only, Hangul is NFC, dates stay in range. Pure, so every form is cheap
to try; the HTTP cases are in tests/integration/web/test_bad_input.py."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest

from minwon.errors import InvalidRequest
from minwon.identity.signin import SignInPolicy
from minwon.inputs import (
    ascii_digits,
    date_in_range,
    free_text,
    holds_rrn,
    nfc,
    without_rrns,
)
from minwon.issuance.numbers import InvalidNumber, new_number, normalise
from minwon.registry.rrn import InvalidRrn, check_digit, parse, redact
from support.rrn_leaks import assert_no_full_number

NUMBER = "900101" + "123456"
NUMBER += str(check_digit(NUMBER))  # a valid pre-2020 number
FRONT, BACK = NUMBER[:6], NUMBER[6:]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

WRITTEN = [
    f"{FRONT}-{BACK}",
    f"{FRONT}{BACK}",
    f"{FRONT} {BACK}",
    f"{FRONT} - {BACK}",
    f"{FRONT}\u2013{BACK}",  # en dash
    f"{FRONT}.{BACK}",
    f"{FRONT}-{BACK}".translate(FULL_WIDTH),
    f"{FRONT}{BACK}".translate(FULL_WIDTH),
    f"{FRONT}-{BACK}".translate(ARABIC_INDIC),
    f"{FRONT}\u3000{BACK}",  # ideographic space
    f"{FRONT}\u200b-\u200b{BACK}",  # zero-width spaces around the hyphen
    " ".join(NUMBER),  # every digit apart
    f"{FRONT[:2]} {FRONT[2:4]} {FRONT[4:]}-{BACK[:1]} {BACK[1:]}",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_a_number_in_free_text_is_found_however_it_is_written(written: str) -> None:
    text = f"은행 제출용 ({written}) 본인 확인"
    assert holds_rrn(text)
    with pytest.raises(InvalidRequest) as refused:
        free_text(text, what="발급 목적", field="purpose")
    assert refused.value.code == "input.rrn_in_free_text" and refused.value.status == 422
    assert "발급 목적" in refused.value.detail
    assert not any(ch.isdecimal() for ch in refused.value.detail)  # nothing echoed back


@pytest.mark.parametrize("written", WRITTEN)
def test_masking_leaves_no_whole_number_in_any_of_those_forms(written: str) -> None:
    masked = without_rrns(f"경로 /api/v1/issuances/{written}/pdf")
    assert_no_full_number(masked, "masked")
    digits = "".join(str(unicodedata.decimal(c)) for c in masked if c.isdecimal())
    assert NUMBER not in digits
    assert f"{FRONT}-{BACK[0]}******" in masked
    assert redact(written) != written


@pytest.mark.parametrize(
    "text",
    [
        "은행 제출용",
        "문서확인번호 1234-5678-9012-3456 오발급",  # 16 digits in fours
        "연락처 010-1234-5678",
        "2026-11-01 접수, 2026-11-02 교부",
        "전주시 완산구 효자로 225 (중화산동2가) 101동 1203호",
        "991399-1234567",  # no such date: not a number anyone holds
        "계좌 1002-345-678901",
        new_number(),  # a document number
    ],
)
def test_ordinary_free_text_passes_unchanged_in_nfc(text: str) -> None:
    assert not holds_rrn(text)
    assert free_text(unicodedata.normalize("NFD", text), what="발급 목적") == text


def test_hangul_typed_decomposed_comes_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "김민원")
    assert decomposed != "김민원" and len(decomposed) > 3
    assert nfc(decomposed) == "김민원"


@pytest.mark.parametrize("text", ["0123", "20", "7"])
def test_ascii_digits_are_digits(text: str) -> None:
    assert ascii_digits(text)


@pytest.mark.parametrize("text", ["３", "٣", "²", "3.0", "-1", " 3", "", "3 "])
def test_anything_else_is_not_a_digit_string(text: str) -> None:
    assert not ascii_digits(text)


@pytest.mark.parametrize(
    "typed",
    [
        f"{FRONT}-{BACK}".translate(FULL_WIDTH),
        f"{FRONT}{BACK}".translate(FULL_WIDTH),
        f"{FRONT}-{BACK}".translate(ARABIC_INDIC),
        f"{FRONT[:5]}{FRONT[5].translate(FULL_WIDTH)}-{BACK}",  # one full-width among ASCII
    ],
)
def test_a_number_in_other_digits_is_refused_not_read(typed: str) -> None:
    assert int(typed.replace("-", "").replace("－", "")) == int(NUMBER)  # Python would read it
    with pytest.raises(InvalidRrn) as refused:
        parse(typed)
    assert refused.value.code == "rrn.format"
    assert parse(NUMBER).digits == NUMBER


def test_a_document_number_in_full_width_digits_is_refused_not_read() -> None:
    number = new_number()
    assert normalise(number) == number
    with pytest.raises(InvalidNumber) as refused:
        normalise(number.translate(FULL_WIDTH))
    assert refused.value.code == "number.format"


def test_only_dates_a_number_can_hold_are_in_range() -> None:
    assert date_in_range(date(1800, 1, 1)) and date_in_range(date(2099, 12, 31))
    assert date_in_range(date(2026, 11, 1))
    for outside in (date(1, 1, 1), date(1799, 12, 31), date(2100, 1, 1), date(9999, 12, 31)):
        assert not date_in_range(outside)


def test_failed_sign_ins_wait_twice_as_long_each_time_up_to_the_maximum() -> None:
    policy = SignInPolicy(free_failures=5, max_delay_seconds=900)
    waits = [policy.delay(n).total_seconds() for n in range(1, 16)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:10] == [2, 4, 8, 16, 32, 64]
    assert waits[-1] == 900 and max(waits) == 900
    assert policy.delay(10_000) == timedelta(seconds=900)
