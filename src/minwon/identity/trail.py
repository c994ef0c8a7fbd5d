"""What identity leaves in the audit trail: sign-ins (both outcomes, by account, never the
password), kiosk identifications (never the number or the fingerprint) and kiosk bindings.

Each event is written in a short unit of work of its own, after the check it records, so
no write lock is held while a password hash is computed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from minwon.audit.model import AuditEvent
from minwon.identity.model import CHANNEL_OF, Principal, PrincipalKind
from minwon.storage import retry_transient

if TYPE_CHECKING:
    from minwon.identity.ports import IdentityUnitOfWorks

UNKNOWN_ACCOUNT = "unknown"  # a sign-in for a name no account has: the name is not kept


def record(uows: IdentityUnitOfWorks, event: AuditEvent, *, retry_seconds: float) -> None:
    """Appends one event in its own short write transaction."""

    def write() -> None:
        with uows() as uow:
            uow.audit.record(event)
            uow.commit()

    retry_transient(write, seconds=retry_seconds)


def login_event(
    *,
    at: datetime,
    kind: PrincipalKind,
    principal: Principal | None,
    account_id: str | None,
    office_code: str | None,
    outcome: str,
    client: str,
) -> AuditEvent:
    """A sign-in by account: ``account_id`` None when no account has the name typed (a
    name typed into the wrong field may be a password or a number, so it is not kept)."""
    return AuditEvent(
        id=uuid.uuid4().hex,
        at=at,
        action="login",
        outcome=outcome,
        actor_kind=kind.value,
        actor_id=(account_id or UNKNOWN_ACCOUNT)[:40],
        channel=CHANNEL_OF[kind].value,
        office_code=office_code,
        detail={
            "client": client[:64],
            "role": principal.role if principal else None,
            "account_known": account_id is not None,
        },
    )


def identification_event(
    *,
    at: datetime,
    device_id: str,
    office_code: str | None,
    resident_id: str | None,
    outcome: str,
    session: str | None = None,
) -> AuditEvent:
    """A kiosk identification: the person by registry id only (no number, no capture)."""
    return AuditEvent(
        id=uuid.uuid4().hex,
        at=at,
        action="identify",
        outcome=outcome,
        actor_kind=PrincipalKind.KIOSK.value,
        actor_id=device_id[:40],
        channel=CHANNEL_OF[PrincipalKind.KIOSK].value,
        office_code=office_code,
        subject_ref=f"resident:{resident_id}" if resident_id else None,
        detail={"session": session} if session else {},
    )
