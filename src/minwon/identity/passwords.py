"""Password (and device-key) hashing with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Returns an Argon2id hash string (salted; slow on purpose)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Returns True when ``password`` matches ``password_hash``; never raises on a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Returns True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
