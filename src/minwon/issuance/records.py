"""What issuance writes: issuances, fees, idempotency claims. Plain values."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class IssuanceStatus(StrEnum):
    VALID = "valid"
    VOIDED = "voided"


@dataclass(frozen=True, slots=True)
class IssuanceRecord:
    """One issued document; ``snapshot`` is the canonical JSON the PDF is rendered from."""

    id: str
    number: str
    request_ref: str
    document_type: str
    subject_ref: str
    requester_kind: str
    requester_ref: str
    channel: str
    office_code: str
    issued_at: datetime
    expires_at: datetime
    snapshot: str
    content_hash: str
    status: IssuanceStatus = IssuanceStatus.VALID
    voided_at: datetime | None = None
    void_reason: str | None = None
    voided_by: str | None = None
    # SHA-256 of the signed PDF made at issuance (None until it is stored).
    pdf_sha256: str | None = None
    # Issued by or about the release probe's people (issuance/probes.py): marked, never
    # charged, in no register; verified as a test document.
    probe: bool = False

    def snapshot_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.snapshot)
        return data


@dataclass(frozen=True, slots=True)
class StoredPdf:
    """What the database holds of an issuance's signed PDF: the bytes (None if none were
    stored) and the SHA-256 its record keeps (None until they are stored)."""

    pdf: bytes | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class FeeRecord:
    issuance_id: str
    amount: int
    channel: str
    exemption: str | None
    charged_at: datetime


class ClaimState(StrEnum):
    NEW = "new"
    IN_FLIGHT = "in_flight"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    state: ClaimState
    request_hash: str
    issuance_id: str | None = None


def canonical_json(data: Mapping[str, Any]) -> str:
    """Returns JSON with sorted keys and no spaces, so equal content hashes equally."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(canonical: str) -> str:
    """Returns the SHA-256 hex digest of a canonical JSON text (kept on the server)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def public_digest(key: bytes, content_hash_hex: str) -> str:
    """Returns the digest a document shows the world: HMAC-SHA256 of its content hash
    under a server-only key.

    The snapshot holds what the paper prints, full 주민등록번호 included, and everything
    else in it is printed or constant; a plain hash of it lets anyone holding a copy with
    the number's back half blacked out try the 10⁵-10⁶ candidates and find the number.
    Keyed with 256 bits that never leave the server, the digest cannot be recomputed.
    """
    if len(key) < 16:
        raise ValueError("the public digest key must have at least 128 bits")
    return hmac.new(key, bytes.fromhex(content_hash_hex), hashlib.sha256).hexdigest()
