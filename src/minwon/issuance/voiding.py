"""Voiding an issued document: staff whose role covers the issuing office, with a reason.

A clerk voids their own office's documents, a supervisor those of their district; the
auditor reads and voids nothing. A void that fails (not staff, another district's
document, an unknown number, one already voided, no reason) is recorded as well, after
its transaction has rolled back, with who tried, on which record and why.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from minwon.audit.model import AuditEvent
from minwon.errors import Conflict, Forbidden, InvalidRequest, MinwonError, NotFound, Unavailable
from minwon.identity.model import Principal, PrincipalKind
from minwon.identity.roles import ensure_writer
from minwon.inputs import free_text
from minwon.issuance.access import in_scope, record_access
from minwon.issuance.commands import VoidIssuance
from minwon.issuance.numbers import InvalidNumber, normalise
from minwon.issuance.records import IssuanceRecord
from minwon.registry.rrn import redact

if TYPE_CHECKING:
    from minwon.issuance.context import IssuanceContext

VOID = "void"


def void_issuance(
    ctx: IssuanceContext, *, principal: Principal, cmd: VoidIssuance
) -> IssuanceRecord:
    """Voids a valid issuance with a reason; only staff whose role covers its office."""
    seen: list[IssuanceRecord] = []
    try:
        return _void(ctx, principal, cmd, seen)
    except Unavailable:
        raise  # nothing was decided: the database did not answer
    except MinwonError as exc:
        record_access(
            ctx,
            principal,
            action=VOID,
            outcome=exc.code,
            record=seen[0] if seen else None,
            purpose=cmd.reason,
            detail={"number": cmd.number[:40]},
        )
        raise


def _void(
    ctx: IssuanceContext, principal: Principal, cmd: VoidIssuance, seen: list[IssuanceRecord]
) -> IssuanceRecord:
    if principal.kind is not PrincipalKind.CLERK:
        raise Forbidden("auth.clerk_only", "발급 취소는 담당 공무원만 할 수 있습니다.")
    reason = free_text(cmd.reason, what="취소 사유", field="reason").strip()
    if len(reason) < 2:
        raise InvalidRequest("void.reason_required", "취소 사유를 적어 주세요.")
    try:
        number = normalise(cmd.number)
    except InvalidNumber as exc:
        raise InvalidRequest(exc.code, exc.detail) from exc
    now = ctx.clock.now()
    with ctx.uows() as uow:
        record = uow.issuances.by_number(number)
        if record is None:
            raise NotFound("issuance.not_found", "해당 문서확인번호의 발급 기록이 없습니다.")
        seen.append(record)
        ensure_writer(principal)  # the auditor: read-only
        if not in_scope(uow, principal, record.office_code):
            raise Forbidden(
                "void.other_office", "담당 지역이 아닌 기관에서 발급한 문서는 취소할 수 없습니다."
            )
        if not uow.issuances.void(record.id, at=now, reason=reason[:200], by=principal.id):
            raise Conflict("void.already_voided", "이미 취소된 문서입니다.")
        uow.audit.record(
            AuditEvent(
                id=uuid.uuid4().hex,
                at=now,
                action=VOID,
                outcome="voided",
                actor_kind=principal.kind.value,
                actor_id=principal.id,
                channel=principal.channel.value,
                office_code=principal.office_code,
                subject_ref=record.subject_ref,
                document_type=record.document_type,
                purpose=redact(reason)[:200],
                issuance_id=record.id,
                detail={"role": principal.role, "record_office": record.office_code},
            )
        )
        voided = uow.issuances.by_id(record.id)
        uow.commit()
    assert voided is not None
    return voided
