"""The QR token: compact, signed, and every claim survives the round trip."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.rendering.qr_token import (
    PREFIX,
    InvalidToken,
    TokenClaims,
    decode_token,
    encode_token,
    qr_url,
    token_from_url,
)

KST = timezone(timedelta(hours=9))
KEY = ed25519.Ed25519PrivateKey.generate()
CLAIMS = TokenClaims(
    number="0000123456789012",
    content_hash="9f" * 32,
    issued_at=datetime(2026, 11, 25, 13, 45, 12, tzinfo=KST),
    expires_at=datetime(2027, 2, 23, 13, 45, 12, tzinfo=KST),
)


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX) :] + "=="))
    raw[index] ^= 0x01
    return PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_claims_survive_the_round_trip_including_leading_zeros() -> None:
    claims = decode_token(encode_token(CLAIMS, KEY), KEY.public_key())
    assert claims.number == "0000123456789012"
    assert claims.content_hash == "9f" * 32
    assert claims.issued_at == CLAIMS.issued_at
    assert claims.expires_at == CLAIMS.expires_at
    assert claims.issued_at.tzinfo is not None


def test_token_is_compact_enough_for_a_small_qr_code() -> None:
    token = encode_token(CLAIMS, KEY)
    assert token.startswith("MW2.")
    assert len(token) < 200
    assert len(qr_url("http://127.0.0.1:8000", token)) < 240


@pytest.mark.parametrize("index", [1, 8])
def test_a_tampered_key_id_names_a_key_nobody_trusts(index: int) -> None:
    tampered = _flip(encode_token(CLAIMS, KEY), index)
    with pytest.raises(InvalidToken) as caught:
        decode_token(tampered, KEY.public_key())
    assert caught.value.code == "token.unknown_key"


@pytest.mark.parametrize("index", [9, 16, 40, 47, 60, 111, 119])
def test_any_tampered_byte_is_a_bad_signature(index: int) -> None:
    tampered = _flip(encode_token(CLAIMS, KEY), index)
    with pytest.raises(InvalidToken) as caught:
        decode_token(tampered, KEY.public_key())
    assert caught.value.code == "token.bad_signature"


def test_token_from_another_key_is_refused() -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(InvalidToken) as caught:
        decode_token(encode_token(CLAIMS, other), KEY.public_key())
    assert caught.value.code == "token.unknown_key"


def test_unknown_version_is_reported_as_such() -> None:
    with pytest.raises(InvalidToken) as caught:
        decode_token(_flip(encode_token(CLAIMS, KEY), 0), KEY.public_key())
    assert caught.value.code == "token.unsupported_version"


@pytest.mark.parametrize(
    "text", ["", "MW1.", "MW1.!!!", "MW3.AAAA", "MW1.AQID", "MW2.AgID", "hello"]
)
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        decode_token(text, KEY.public_key())
    assert caught.value.code == "token.malformed"
    assert caught.value.detail_ko


def test_bad_claims_are_refused_when_encoding() -> None:
    with pytest.raises(ValueError):
        encode_token(TokenClaims("12345", "00" * 32, CLAIMS.issued_at, CLAIMS.expires_at), KEY)
    with pytest.raises(ValueError):
        encode_token(TokenClaims(CLAIMS.number, "abc", CLAIMS.issued_at, CLAIMS.expires_at), KEY)
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError):
        encode_token(TokenClaims(CLAIMS.number, "00" * 32, naive, naive), KEY)


def test_token_is_found_in_a_scanned_url_or_taken_as_is() -> None:
    token = encode_token(CLAIMS, KEY)
    url = qr_url("https://minwon.jeonju.go.kr/", token)
    assert url == f"https://minwon.jeonju.go.kr/verify?t={token}"
    assert token_from_url(url) == token
    assert token_from_url(f"https://x/verify?lang=ko&t={token}") == token
    assert token_from_url(f"  {token}\n") == token
    with pytest.raises(InvalidToken):
        token_from_url("https://x/verify?lang=ko")
    assert decode_token(token_from_url(url), KEY.public_key()).issued_at.astimezone(UTC) == (
        CLAIMS.issued_at
    )
