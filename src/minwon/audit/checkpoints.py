"""Signed checkpoints of the audit chain and the check of a whole trail.

A checkpoint is the chain's hash at a sequence number, signed with the city's Ed25519
token key (kept in the keys folder, never in the database; its public half is in the
published trust bundle). Someone who can write the database can recompute every hash
after an edit, but cannot sign a checkpoint: the rewrite shows at the first checkpoint
it passes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.audit.chain import ChainBreak, ChainedEvent, Checkpoint, first_break

_CONTEXT = "minwon-audit-checkpoint/1"
PublicKeyFor = Callable[[str], ed25519.Ed25519PublicKey | None]


def _message(seq: int, chain_hash: str, at: str) -> bytes:
    return f"{_CONTEXT}\n{seq}\n{chain_hash}\n{at}".encode()


def _kid(key: ed25519.Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def sign_checkpoint(
    key: ed25519.Ed25519PrivateKey, *, seq: int, chain_hash: str, now: datetime
) -> Checkpoint:
    """Returns a checkpoint over the chain's hash at ``seq``."""
    at = now.astimezone(UTC).isoformat()
    signature = key.sign(_message(seq, chain_hash, at))
    return Checkpoint(
        seq=seq,
        hash=chain_hash,
        at=at,
        kid=_kid(key.public_key()),
        signature=base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii"),
    )


def checkpoint_is_genuine(checkpoint: Checkpoint, key_for: PublicKeyFor) -> bool:
    """Whether a checkpoint carries a valid signature by a key ``key_for`` knows."""
    key = key_for(checkpoint.kid)
    if key is None:
        return False
    text = checkpoint.signature
    try:
        signature = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key.verify(signature, _message(checkpoint.seq, checkpoint.hash, checkpoint.at))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True, slots=True)
class TrailReport:
    """What ``minwon audit verify`` found."""

    events: int
    checkpoints: int
    last_checkpoint: int | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def check_trail(
    rows: Iterable[ChainedEvent], checkpoints: Iterable[Checkpoint], key_for: PublicKeyFor
) -> TrailReport:
    """Checks every checkpoint's signature, then walks the chain against them."""
    pinned: dict[int, Checkpoint] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if not checkpoint_is_genuine(checkpoint, key_for):
            forged = ChainBreak(
                checkpoint.seq,
                None,
                "audit.checkpoint_forged",
                f"{checkpoint.seq}번 검증점의 서명이 맞지 않습니다: 위조되었거나 바뀌었습니다.",
            )
            return TrailReport(0, len(pinned), None, forged)
        pinned[checkpoint.seq] = checkpoint
    count, broken = first_break(rows, pinned)
    return TrailReport(count, len(pinned), max(pinned, default=None), broken)
