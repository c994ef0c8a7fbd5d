"""A signed status answer: the verification server vouches for what it says, when.

A verifier trusts its installed bundle, not the server it asks; so the status the server
returns (valid, voided, expired) carries an Ed25519 signature by the token key over the
number, the status, the public digest, the time it was checked and the verifier's own
random nonce. A look-alike server cannot produce one, and cannot replay a genuine "valid"
answer from before a voiding: the nonce would not be the one asked with.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.rendering.token_keys import TokenKeyring, b64url, key_id

_CONTEXT = "minwon-status/1"
_NONCE = re.compile(r"[A-Za-z0-9_-]{0,64}")
# How old a status answer may be: a little clock skew, never yesterday's answer.
FRESH_FOR = timedelta(minutes=5)


def new_nonce() -> str:
    """Returns a fresh nonce for one status question."""
    return secrets.token_urlsafe(16)


def valid_nonce(nonce: str) -> bool:
    """Whether ``nonce`` is acceptable (base64url, at most 64 characters)."""
    return _NONCE.fullmatch(nonce) is not None


def _message(number: str, status: str, digest: str, checked_at: str, nonce: str) -> bytes:
    fields = (_CONTEXT, number, status, digest, checked_at, nonce)
    return "\n".join(fields).encode("utf-8")


def attest(
    private_key: ed25519.Ed25519PrivateKey,
    *,
    number: str,
    status: str,
    digest: str,
    checked_at: datetime,
    nonce: str = "",
) -> dict[str, str]:
    """Returns the attestation the API adds to a status answer."""
    if not valid_nonce(nonce):
        raise ValueError("nonce must be base64url, at most 64 characters")
    moment = checked_at.astimezone(UTC).isoformat()
    signature = private_key.sign(_message(number, status, digest, moment, nonce))
    return {
        "kid": key_id(private_key.public_key()),
        "checked_at": moment,
        "nonce": nonce,
        "signature": b64url(signature),
    }


@dataclass(frozen=True, slots=True)
class AttestationCheck:
    """Whether a status answer is the city's own, fresh; ``problem`` says why not."""

    ok: bool
    problem: str | None = None


def check_attestation(
    answer: dict[str, Any], *, number: str, nonce: str, keys: TokenKeyring, now: datetime
) -> AttestationCheck:
    """Checks the attestation on a status answer to the question (``number``, ``nonce``)
    against trusted keys."""
    att = answer.get("attestation")
    if not isinstance(att, dict):
        return AttestationCheck(False, "확인 서버의 응답에 기관 서명이 없습니다.")
    key = keys.get(str(att.get("kid", "")))
    if key is None:
        return AttestationCheck(False, "확인 서버의 응답이 신뢰 묶음에 없는 키로 서명되었습니다.")
    try:
        checked_at = datetime.fromisoformat(str(att.get("checked_at")))
        text = str(att.get("signature", ""))
        signature = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key.public.verify(
            signature,
            _message(
                number,
                str(answer.get("status")),
                str(answer.get("content_hash")),
                str(att.get("checked_at")),
                nonce,
            ),
        )
    except (ValueError, binascii.Error, InvalidSignature):
        return AttestationCheck(False, "확인 서버의 응답 서명이 맞지 않습니다.")
    if checked_at.tzinfo is None or abs(now - checked_at) > FRESH_FOR:
        return AttestationCheck(False, "확인 서버의 응답 시각이 지금과 너무 다릅니다.")
    if not key.signed_when(checked_at):
        return AttestationCheck(False, "확인 서버의 응답이 폐기된 키로 서명되었습니다.")
    return AttestationCheck(True)
