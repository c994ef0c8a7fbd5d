"""The QR-token keys over time: one active signing key, retired ones kept for verification.

A token names its key by id. When the active key is rotated out it is retired, not
deleted: documents signed with it stay verifiable until their own verification window
has passed, so its public half stays in the published trust bundle until then. The
manifest (``token-keys.json`` in the keys folder) holds only public keys and dates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

MANIFEST = "token-keys.json"
# Issue times a few minutes either side of a key's life are clock skew, not forgery.
SKEW = timedelta(minutes=10)


class KeyringInvalid(ValueError):
    """A key list that cannot be trusted as written (bad key, id that does not match)."""


def raw_public_key(public_key: ed25519.Ed25519PublicKey) -> bytes:
    """Returns the raw 32-byte Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: ed25519.Ed25519PublicKey) -> str:
    """Returns the hex of the first 8 bytes of sha256 over the raw public key."""
    return hashlib.sha256(raw_public_key(public_key)).digest()[:8].hex()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _time(text: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError as exc:
        raise KeyringInvalid(f"{what}: 날짜 형식이 아닙니다") from exc
    if moment.tzinfo is None:
        raise KeyringInvalid(f"{what}: 시간대가 없습니다")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class TokenKey:
    """One token public key and the period it signed in (and is verifiable for)."""

    public: ed25519.Ed25519PublicKey
    valid_from: datetime
    retired_at: datetime | None = None
    verifiable_until: datetime | None = None  # set when retired: the last document's window

    @property
    def kid(self) -> str:
        return key_id(self.public)

    def signed_when(self, issued_at: datetime) -> bool:
        """Whether this key may have signed a document issued at ``issued_at``: not after
        its retirement (with clock skew), so a leaked retired key cannot date new papers.

        Earlier is fine: a document whose PDF was made late (its first download after a
        crash, or an issuance older than stored PDFs) is signed by the key of that day.
        """
        return self.retired_at is None or issued_at <= self.retired_at + SKEW

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "alg": "Ed25519",
            "public_key": b64url(raw_public_key(self.public)),
            "valid_from": self.valid_from.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "verifiable_until": (
                self.verifiable_until.isoformat() if self.verifiable_until else None
            ),
        }

    @classmethod
    def from_json(cls, data: object) -> TokenKey:
        if not isinstance(data, dict):
            raise KeyringInvalid("토큰 키 항목이 객체가 아닙니다")
        if data.get("alg") != "Ed25519":
            raise KeyringInvalid("토큰 키의 알고리즘이 Ed25519가 아닙니다")
        try:
            raw = _from_b64url(str(data["public_key"]))
            public = ed25519.Ed25519PublicKey.from_public_bytes(raw)
        except (KeyError, binascii.Error, ValueError) as exc:
            raise KeyringInvalid("토큰 공개키를 읽을 수 없습니다") from exc
        key = cls(
            public=public,
            valid_from=_time(data.get("valid_from"), "valid_from"),
            retired_at=_time(data["retired_at"], "retired_at") if data.get("retired_at") else None,
            verifiable_until=(
                _time(data["verifiable_until"], "verifiable_until")
                if data.get("verifiable_until")
                else None
            ),
        )
        if data.get("kid") != key.kid:
            raise KeyringInvalid("토큰 키 id가 공개키와 맞지 않습니다")
        return key


@dataclass(frozen=True, slots=True)
class TokenKeyring:
    """The token keys a verifier trusts, by id; at most one is active (not retired)."""

    keys: tuple[TokenKey, ...]

    @classmethod
    def of(cls, public: ed25519.Ed25519PublicKey) -> TokenKeyring:
        """Returns a keyring of one key with no known period (tests, legacy callers)."""
        return cls((TokenKey(public, datetime.min.replace(tzinfo=UTC) + SKEW),))

    def get(self, kid: str) -> TokenKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def __iter__(self) -> Iterator[TokenKey]:
        return iter(self.keys)

    def current(self, now: datetime) -> tuple[TokenKey, ...]:
        """Returns the keys still worth publishing: active, or retired and still verifiable."""
        return tuple(
            k for k in self.keys if k.verifiable_until is None or k.verifiable_until >= now
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [k.to_json() for k in self.keys]

    @classmethod
    def from_json(cls, items: Iterable[object]) -> TokenKeyring:
        keys = tuple(TokenKey.from_json(item) for item in items)
        if len({k.kid for k in keys}) != len(keys):
            raise KeyringInvalid("같은 id의 토큰 키가 두 번 있습니다")
        if sum(1 for k in keys if k.retired_at is None) > 1:
            raise KeyringInvalid("사용 중인 토큰 키가 둘 이상입니다")
        return cls(keys)


def read_manifest(keys_dir: Path) -> TokenKeyring | None:
    """Returns the keyring written in ``keys_dir``, or None for a folder without one."""
    path = keys_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyringInvalid(f"{MANIFEST}: 읽을 수 없습니다") from exc
    return TokenKeyring.from_json(data.get("keys", []) if isinstance(data, dict) else [])


def write_manifest(keys_dir: Path, keyring: TokenKeyring) -> None:
    """Writes the manifest atomically (public keys and dates only)."""
    path = keys_dir / MANIFEST
    temp = path.with_suffix(".tmp")
    temp.write_text(
        json.dumps({"keys": keyring.to_json()}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    os.chmod(temp, 0o644)
    temp.replace(path)


def keyring_for(
    keys_dir: Path,
    active: ed25519.Ed25519PublicKey,
    created: datetime,
    *,
    allow_interrupted_rotation: bool = False,
) -> TokenKeyring:
    """Returns the folder's keyring; a folder from before rotation gets one for its key.

    The signing key must be the keyring's active key: a retired one signing would make
    tokens no verifier accepts (a rotation stopped half-way).
    """
    keyring = read_manifest(keys_dir)
    if keyring is None:
        return TokenKeyring((TokenKey(active, created),))
    listed = keyring.get(key_id(active))
    if listed is None:
        raise KeyringInvalid(f"{MANIFEST}: 사용 중인 토큰 키가 목록에 없습니다")
    if listed.retired_at is not None and not allow_interrupted_rotation:
        raise KeyringInvalid(
            "토큰 키 교체가 중간에 멈췄습니다. `minwon keys rotate-token`을 다시 실행하세요."
        )
    return keyring


def retire(keyring: TokenKeyring, *, at: datetime, window: timedelta) -> TokenKeyring:
    """Returns the keyring with its active key retired at ``at``: documents it signed stay
    verifiable for ``window`` (the longest verification window of any document type)."""
    return TokenKeyring(
        tuple(
            replace(k, retired_at=at, verifiable_until=at + window) if k.retired_at is None else k
            for k in keyring.keys
        )
    )
