"""Who may see which issuance, and the audit trail of every look.

A staff member sees the records of the offices their role covers (identity/roles.py); a
citizen, or a person at a kiosk, what they themselves requested (a kiosk person: in this
kiosk session only). Every read, download, list and register, and every refusal of one,
is recorded with who, channel, office and subject, in a short write transaction of its
own after the read: the read never holds a write lock, and rendering happens after both.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from minwon.audit.model import AuditEvent
from minwon.errors import Forbidden
from minwon.identity.model import Principal, PrincipalKind
from minwon.identity.roles import ensure_writer, needs_offices, role_of, within
from minwon.issuance.records import IssuanceRecord
from minwon.registry.rrn import redact
from minwon.storage import retry_transient

if TYPE_CHECKING:
    from minwon.issuance.context import IssuanceContext
    from minwon.issuance.ports import IssuanceUnitOfWork

READ = "read"  # a record's view (its snapshot: what the paper prints)
DOWNLOAD = "download"  # its signed PDF
LIST = "list"  # one's own issuances
REGISTER = "register"  # an office's 교부대장 of a day
DENY = "deny"  # any of those (or an action) refused


def in_scope(uow: IssuanceUnitOfWork, principal: Principal, office_code: str) -> bool:
    """Returns True when ``office_code`` lies within the staff member's scope."""
    if role_of(principal) is None:
        return False
    if not needs_offices(principal, office_code):
        return within(principal, office_code, None, None)
    own = uow.registry.office(principal.office_code or "")
    return within(principal, office_code, own, uow.registry.office(office_code))


def may_read(uow: IssuanceUnitOfWork, principal: Principal, record: IssuanceRecord) -> bool:
    """Returns True when ``principal`` may see ``record``: a staff member whose role covers
    the issuing office, or its requester (at a kiosk: the same kiosk session)."""
    if principal.kind is PrincipalKind.CLERK:
        return in_scope(uow, principal, record.office_code)
    if principal.kind is PrincipalKind.KIOSK and not principal.session:
        return False
    return record.requester_ref == principal.ref


def record_access(
    ctx: IssuanceContext,
    principal: Principal,
    *,
    action: str,
    outcome: str,
    record: IssuanceRecord | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Appends one access event in its own short write transaction (retried like any
    other write while the database fails over)."""
    event = AuditEvent(
        id=uuid.uuid4().hex,
        at=ctx.clock.now(),
        action=action,
        outcome=outcome,
        actor_kind=principal.kind.value,
        actor_id=principal.id,
        channel=principal.channel.value,
        office_code=principal.office_code,
        subject_ref=record.subject_ref if record else None,
        document_type=record.document_type if record else None,
        # Free text is kept only with any number in it masked.
        purpose=redact(purpose.strip())[:200] if purpose and purpose.strip() else None,
        issuance_id=record.id if record else None,
        detail={
            "role": principal.role,
            **({"session": principal.session} if principal.session else {}),
            **({"record_office": record.office_code} if record else {}),
            **(detail or {}),
        },
    )

    def write() -> None:
        with ctx.uows() as uow:
            uow.audit.record(event)
            uow.commit()

    retry_transient(write, seconds=ctx.db_retry_seconds)


def ensure_may_act(ctx: IssuanceContext, principal: Principal, attempt: str) -> None:
    """Raises Forbidden (recorded) when a read-only role tries to issue or void."""
    try:
        ensure_writer(principal)
    except Forbidden as exc:
        record_access(ctx, principal, action=DENY, outcome=exc.code, detail={"attempt": attempt})
        raise
