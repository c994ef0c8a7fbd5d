"""Compact Ed25519-signed token carried by a document's QR code, checkable offline.

Version 2 (``MW2.``) names its signing key by id, so keys can be rotated: a verifier looks
the id up in its trust bundle and checks the key was the signing key when the token says
the document was issued. Version 1 (``MW1.``, no key id) is still read, against every
key that could have signed it, for documents issued before rotation existed.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.rendering.token_keys import TokenKey, TokenKeyring, key_id

PREFIX = "MW2."
VERSION = 2
LEGACY_PREFIX = "MW1."
# version, key id (8 bytes), number (7-byte big-endian integer), digest, issued_at and
# expires_at (unix seconds).
_BODY = struct.Struct(">B8s7s32sII")
_LEGACY_BODY = struct.Struct(">B7s32sII")
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
    content_hash: str  # 64 hex chars: the public (keyed) digest of the snapshot
    issued_at: datetime
    expires_at: datetime
    kid: str | None = None  # the signing key's id (None in a version-1 token)


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("token times must be timezone-aware")
    return int(moment.timestamp())


def _body(claims: TokenClaims, kid: str) -> bytes:
    if len(claims.number) != 16 or not claims.number.isdigit():
        raise ValueError("number must be 16 digits")
    digest = bytes.fromhex(claims.content_hash)
    if len(digest) != 32:
        raise ValueError("content_hash must be 64 hex characters")
    number = int(claims.number).to_bytes(7, "big")
    return _BODY.pack(
        VERSION,
        bytes.fromhex(kid),
        number,
        digest,
        _seconds(claims.issued_at),
        _seconds(claims.expires_at),
    )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(claims: TokenClaims, private_key: ed25519.Ed25519PrivateKey) -> str:
    """Returns ``MW2.`` + base64url(body + Ed25519 signature over the body)."""
    body = _body(claims, key_id(private_key.public_key()))
    return PREFIX + _b64encode(body + private_key.sign(body))


def _malformed(detail: str) -> InvalidToken:
    return InvalidToken("token.malformed", detail)


def _raw(token: str) -> bytes:
    prefix = PREFIX if token.startswith(PREFIX) else LEGACY_PREFIX
    if not token.startswith(prefix):
        raise _malformed("문서 확인 토큰의 형식이 올바르지 않습니다.")
    try:
        raw = _b64decode(token[len(prefix) :])
    except (binascii.Error, ValueError) as exc:
        raise _malformed("문서 확인 토큰을 읽을 수 없습니다.") from exc
    if len(raw) < 1:
        raise _malformed("문서 확인 토큰이 비어 있습니다.")
    if raw[0] != {PREFIX: VERSION, LEGACY_PREFIX: 1}[prefix]:
        raise InvalidToken("token.unsupported_version", "지원하지 않는 토큰 버전입니다.")
    return raw


def _verified(key: TokenKey, signature: bytes, body: bytes) -> bool:
    try:
        key.public.verify(signature, body)
    except InvalidSignature:
        return False
    return True


def decode_token(token: str, keys: TokenKeyring | ed25519.Ed25519PublicKey) -> TokenClaims:
    """Returns the claims of a genuine token signed by one of ``keys`` while that key was
    the signing key; does not check expiry (the caller has the clock)."""
    keyring = keys if isinstance(keys, TokenKeyring) else TokenKeyring.of(keys)
    raw = _raw(token)
    layout = _BODY if raw[0] == VERSION else _LEGACY_BODY
    if len(raw) != layout.size + _SIGNATURE_LEN:
        raise _malformed("문서 확인 토큰의 길이가 올바르지 않습니다.")
    body, signature = raw[: layout.size], raw[layout.size :]
    if raw[0] == VERSION:
        _, kid_bytes, number, digest, issued, expires = _BODY.unpack(body)
        kid: str | None = kid_bytes.hex()
        key = keyring.get(kid_bytes.hex())
        if key is None:
            raise InvalidToken(
                "token.unknown_key",
                "신뢰 묶음에 없는 키로 서명된 토큰입니다. 위조되었거나 신뢰 묶음이 오래되었습니다.",
            )
        candidates: tuple[TokenKey, ...] = (key,)
    else:
        _, number, digest, issued, expires = _LEGACY_BODY.unpack(body)
        kid, candidates = None, keyring.keys
    signer = next((k for k in candidates if _verified(k, signature, body)), None)
    if signer is None:
        raise InvalidToken(
            "token.bad_signature", "토큰의 전자서명이 맞지 않습니다. 위조되었을 수 있습니다."
        )
    issued_at = datetime.fromtimestamp(issued, UTC)
    if not signer.signed_when(issued_at):
        raise InvalidToken(
            "token.key_out_of_period",
            "토큰의 발급 시각에 이 키는 서명에 쓰이지 않았습니다. 위조되었을 수 있습니다.",
        )
    return TokenClaims(
        number=f"{int.from_bytes(number, 'big'):016d}",
        content_hash=digest.hex(),
        issued_at=issued_at,
        expires_at=datetime.fromtimestamp(expires, UTC),
        kid=kid,
    )


def qr_url(base_url: str, token: str) -> str:
    """Returns the verification URL carried by the QR code."""
    return f"{base_url.rstrip('/')}/verify?t={token}"


def token_from_url(url_or_token: str) -> str:
    """Returns the token from a scanned verification URL, or the text itself if it is one."""
    text = url_or_token.strip()
    marker = "t="
    if text.startswith((PREFIX, LEGACY_PREFIX)):
        return text
    _, sep, query = text.partition("?")
    if sep:
        for part in query.split("&"):
            if part.startswith(marker):
                return part[len(marker) :]
    raise InvalidToken("token.malformed", "주소에서 문서 확인 토큰을 찾을 수 없습니다.")
