"""Audit events as plain values (standard library only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted, as the audit trail records it: kind (citizen, clerk, kiosk), id, where."""

    kind: str
    id: str
    channel: str
    office_code: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Who did what to whose record, through which channel and office, and why."""

    id: str
    at: datetime
    # issue | refuse | void (done or failed) | lookup | read | download | list | register
    # | deny (a read or an action refused) | login | identify | kiosk_bind | kiosk_key
    # | oversight
    action: str
    outcome: str
    actor_kind: str
    actor_id: str
    channel: str
    office_code: str | None = None
    subject_ref: str | None = None
    document_type: str | None = None
    purpose: str | None = None
    issuance_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
