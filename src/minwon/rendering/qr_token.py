"""Compact Ed25519-signed token carried by a document's QR code, checkable offline."""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

PREFIX = "MW1."
VERSION = 1
# version, number (7-byte big-endian integer), sha256, issued_at, expires_at (unix seconds).
_BODY = struct.Struct(">B7s32sII")
_SIGNATURE_LEN = 64


class InvalidToken(ValueError):
    """A token that cannot be trusted; ``code`` is stable, ``detail_ko`` is for people."""

    def __init__(self, code: str, detail_ko: str) -> None:
        super().__init__(f"{code}: {detail_ko}")
        self.code = code
        self.detail_ko = detail_ko


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a token asserts: the document number, its snapshot hash and validity window."""

    number: str  # 16 digits
    content_hash: str  # 64 hex chars, sha256 of the snapshot
    issued_at: datetime
    expires_at: datetime


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("token times must be timezone-aware")
    return int(moment.timestamp())


def _body(claims: TokenClaims) -> bytes:
    if len(claims.number) != 16 or not claims.number.isdigit():
        raise ValueError("number must be 16 digits")
    digest = bytes.fromhex(claims.content_hash)
    if len(digest) != 32:
        raise ValueError("content_hash must be 64 hex characters")
    number = int(claims.number).to_bytes(7, "big")
    return _BODY.pack(
        VERSION, number, digest, _seconds(claims.issued_at), _seconds(claims.expires_at)
    )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(claims: TokenClaims, private_key: ed25519.Ed25519PrivateKey) -> str:
    """Returns ``MW1.`` + base64url(body + Ed25519 signature over the body)."""
    body = _body(claims)
    return PREFIX + _b64encode(body + private_key.sign(body))


def decode_token(token: str, public_key: ed25519.Ed25519PublicKey) -> TokenClaims:
    """Returns the claims of a genuine token; does not check expiry (the caller has the clock)."""
    if not token.startswith(PREFIX):
        raise InvalidToken("token.malformed", "문서 확인 토큰의 형식이 올바르지 않습니다.")
    try:
        raw = _b64decode(token[len(PREFIX) :])
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("token.malformed", "문서 확인 토큰을 읽을 수 없습니다.") from exc
    if len(raw) < 1:
        raise InvalidToken("token.malformed", "문서 확인 토큰이 비어 있습니다.")
    if raw[0] != VERSION:
        raise InvalidToken("token.unsupported_version", "지원하지 않는 토큰 버전입니다.")
    if len(raw) != _BODY.size + _SIGNATURE_LEN:
        raise InvalidToken("token.malformed", "문서 확인 토큰의 길이가 올바르지 않습니다.")
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    try:
        public_key.verify(signature, body)
    except InvalidSignature as exc:
        raise InvalidToken(
            "token.bad_signature", "토큰의 전자서명이 맞지 않습니다. 위조되었을 수 있습니다."
        ) from exc
    _, number, digest, issued, expires = _BODY.unpack(body)
    return TokenClaims(
        number=f"{int.from_bytes(number, 'big'):016d}",
        content_hash=digest.hex(),
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def qr_url(base_url: str, token: str) -> str:
    """Returns the verification URL carried by the QR code."""
    return f"{base_url.rstrip('/')}/verify?t={token}"


def token_from_url(url_or_token: str) -> str:
    """Returns the token from a scanned verification URL, or the text itself if it is one."""
    text = url_or_token.strip()
    marker = "t="
    if text.startswith(PREFIX):
        return text
    _, sep, query = text.partition("?")
    if sep:
        for part in query.split("&"):
            if part.startswith(marker):
                return part[len(marker) :]
    raise InvalidToken("token.malformed", "주소에서 문서 확인 토큰을 찾을 수 없습니다.")
