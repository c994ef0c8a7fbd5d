"""RRN vault: numbers are stored encrypted (AES-256-GCM) with a keyed digest for lookups.

개인정보 보호법 제24조의2 requires resident registration numbers to be encrypted at rest.
The data key and the digest pepper are files in the keys directory, shared by every app
instance; neither ever appears in logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class RrnVault:
    """Encrypts, decrypts and digests 13-digit numbers."""

    def __init__(self, data_key: bytes, pepper: bytes) -> None:
        if len(data_key) != 32 or len(pepper) < 16:
            raise ValueError("vault keys have the wrong length")
        self._aead = AESGCM(data_key)
        self._pepper = pepper

    def digest(self, rrn: str) -> str:
        """Returns the keyed digest used to find a resident by number."""
        digits = rrn.replace("-", "")
        return hmac.new(self._pepper, digits.encode(), hashlib.sha256).hexdigest()

    def keyed_digest(self, text: str, *, purpose: bytes) -> str:
        """Returns a keyed digest of any text, bound to its use (a proxy's fingerprint
        reading): comparable, not reversible without the pepper."""
        return hmac.new(self._pepper, purpose + b"\x00" + text.encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str, *, purpose: bytes) -> str:
        """Encrypts any text (e.g. a document snapshot); ``purpose`` binds it to its use."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode(), purpose)).decode()

    def unseal(self, token: str, *, purpose: bytes) -> str:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], purpose).decode()

    def encrypt(self, rrn: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, rrn.replace("-", "").encode(), b"rrn")
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], b"rrn").decode()
