"""Use cases: issue a document (idempotently) and void one."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

import structlog

from minwon.audit.model import AuditEvent
from minwon.catalog.model import DocumentType
from minwon.errors import Conflict, InvalidRequest, NotFound, Refused, Unavailable
from minwon.identity.model import Principal
from minwon.issuance import fees
from minwon.issuance.access import ensure_may_act
from minwon.issuance.assessment import assess
from minwon.issuance.claims import Abandoned
from minwon.issuance.commands import IDEMPOTENCY_KEY, IssueDocument
from minwon.issuance.context import IssuanceContext
from minwon.issuance.documents import made_at_issuance
from minwon.issuance.model import Permit
from minwon.issuance.parties import refused_applicant
from minwon.issuance.recording import write_issuance
from minwon.issuance.records import ClaimState, FeeRecord, IdempotencyClaim, IssuanceRecord
from minwon.issuance.screening import screened
from minwon.issuance.voiding import void_issuance as void_issuance  # its own module now
from minwon.registry.rrn import InvalidRrn, parse
from minwon.storage import retry_transient

log = structlog.get_logger(__name__)

# How often a request waiting for another's claim on its key looks again.
IN_FLIGHT_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    record: IssuanceRecord
    fee: FeeRecord
    replayed: bool


def _new_id() -> str:
    return uuid.uuid4().hex


def issue_document(
    ctx: IssuanceContext, *, principal: Principal, cmd: IssueDocument
) -> IssueOutcome:
    """Issues a document once per idempotency key; a retry returns the same document (and
    the same signed PDF, made once after the issuance commits: issuance/documents.py)."""
    ensure_may_act(ctx, principal, "issue")  # the read-only auditor issues nothing
    document = ctx.catalog.get(cmd.document_type)
    if document is None:
        raise NotFound("catalog.unknown_type", "요청한 증명서 종류가 없습니다.")
    if not IDEMPOTENCY_KEY.match(cmd.idempotency_key):
        raise InvalidRequest(
            "idempotency.key_invalid",
            "Idempotency-Key는 영문·숫자·'-_.:' 8~80자여야 합니다.",
        )
    cmd = screened(cmd, document)  # NFC text; no 주민등록번호 in free text; known items
    request_hash = cmd.fingerprint()
    holder = uuid.uuid4().hex
    try:
        outcome = retry_transient(
            lambda: _attempt(
                ctx,
                principal=principal,
                cmd=cmd,
                document=document,
                request_hash=request_hash,
                holder=holder,
            ),
            seconds=ctx.db_retry_seconds,
        )
    except Unavailable:
        # The answer is 503 and the kiosk sends the request again: free our claim once
        # the database is back, so that the retry does not wait for its lease.
        if ctx.abandoned is not None:
            ctx.abandoned.add(Abandoned(principal.ref, cmd.idempotency_key, holder))
        raise
    return replace(outcome, record=made_at_issuance(ctx, outcome.record))


def _attempt(
    ctx: IssuanceContext,
    *,
    principal: Principal,
    cmd: IssueDocument,
    document: DocumentType,
    request_hash: str,
    holder: str,
) -> IssueOutcome:
    """One try at the whole issuance; repeated after a lost connection with the same holder."""
    take = partial(
        _claim, ctx, principal=principal, key=cmd.idempotency_key, request_hash=request_hash
    )
    claim, waited_until = take(holder=holder), time.monotonic() + ctx.in_flight_wait_seconds
    while (
        claim.state is ClaimState.IN_FLIGHT
        and claim.request_hash == request_hash
        and time.monotonic() < waited_until
    ):
        # Another request holds the key: usually this same request, sent again after its
        # first try's server died. Its claim is free once that server misses its beats.
        time.sleep(IN_FLIGHT_POLL_SECONDS)
        claim = take(holder=holder)
    if claim.state is not ClaimState.NEW and claim.request_hash != request_hash:
        raise InvalidRequest(
            "idempotency.key_reused",
            "같은 Idempotency-Key로 다른 내용의 요청을 보냈습니다. 새 키를 사용해 주세요.",
        )
    if claim.state is ClaimState.IN_FLIGHT:
        raise Conflict(
            "idempotency.in_flight",
            "같은 요청을 아직 처리하고 있습니다. 잠시 후 같은 키로 다시 시도해 주세요.",
            retry_after=1,
        )
    if claim.state is ClaimState.COMPLETED:
        assert claim.issuance_id is not None
        return _replay(
            ctx, principal=principal, key=cmd.idempotency_key, issuance_id=claim.issuance_id
        )
    try:
        return _issue_new(ctx, principal=principal, cmd=cmd, document=document, holder=holder)
    except Exception as exc:
        if not isinstance(exc, Unavailable):  # after a lost connection the retry keeps it
            _release_quietly(ctx, principal=principal, key=cmd.idempotency_key)
        raise


def _claim(
    ctx: IssuanceContext, *, principal: Principal, key: str, request_hash: str, holder: str
) -> IdempotencyClaim:
    with ctx.uows() as uow:
        claim = uow.idempotency.claim(
            principal=principal.ref,
            key=key,
            request_hash=request_hash,
            now=ctx.clock.now(),
            lease=timedelta(seconds=ctx.idempotency_lease_seconds),
            holder=holder,
            instance=ctx.instance_id,
        )
        uow.commit()
    return claim


def release_abandoned(ctx: IssuanceContext) -> int:
    """Frees the claims this process gave up on, each only while its request still holds
    it; returns how many were freed. Those it cannot reach the database for stay listed."""
    if ctx.abandoned is None:
        return 0
    waiting = ctx.abandoned.take()
    freed = 0
    for number, claim in enumerate(waiting):
        try:
            with ctx.uows() as uow:
                freed += uow.idempotency.release(
                    principal=claim.principal, key=claim.key, holder=claim.holder
                )
                uow.commit()
        except Unavailable:
            for later in waiting[number:]:
                ctx.abandoned.add(later)
            break
    return freed


def _release_quietly(ctx: IssuanceContext, *, principal: Principal, key: str) -> None:
    try:
        with ctx.uows() as uow:
            uow.idempotency.release(principal=principal.ref, key=key)
            uow.commit()
    except Exception as exc:  # the lease expires on its own; log and go on
        log.warning("idempotency.release_failed", error=type(exc).__name__)


def _replay(
    ctx: IssuanceContext, *, principal: Principal, key: str, issuance_id: str
) -> IssueOutcome:
    with ctx.uows() as uow:
        # A write, not just a read: its commit waits for the synchronous standby, so we
        # never replay a commit that only the old primary saw.
        uow.idempotency.record_replay(principal=principal.ref, key=key)
        record = uow.issuances.by_id(issuance_id)
        fee = uow.issuances.fee_for(issuance_id)
        uow.commit()
    if record is None or fee is None:
        raise NotFound("idempotency.record_missing", "이전에 발급한 문서를 찾을 수 없습니다.")
    return IssueOutcome(record=record, fee=fee, replayed=True)


def _issue_new(
    ctx: IssuanceContext,
    *,
    principal: Principal,
    cmd: IssueDocument,
    document: DocumentType,
    holder: str,
) -> IssueOutcome:
    now = ctx.clock.now()
    # Reading and deciding happen before the writing transaction opens: on SQLite the
    # writer holds the database's only write lock, so it should hold it for writes alone.
    # The snapshot freezes what was read, whichever transaction read it.
    with ctx.uows(readonly=True) as uow:
        found = assess(uow, ctx=ctx, principal=principal, cmd=cmd, document=document, now=now)
    office, relation, decision = found.office, found.relation, found.decision
    audit = dict(
        at=now,
        actor_kind=principal.kind.value,
        actor_id=principal.id,
        channel=principal.channel.value,
        office_code=office.code,
        subject_ref=found.subject_ref,
        document_type=document.code,
        purpose=cmd.purpose,
    )
    if not isinstance(decision, Permit):
        with ctx.uows() as uow:
            uow.audit.record(
                AuditEvent(
                    id=_new_id(),
                    action="refuse",
                    outcome=decision.code,
                    detail={
                        "relation": relation.value,
                        "basis": decision.basis,
                        "applicant": refused_applicant(found.applicant),
                        **({"probe": True} if found.probe else {}),
                    },
                    **audit,  # type: ignore[arg-type]
                )
            )
            uow.idempotency.release(principal=principal.ref, key=cmd.idempotency_key)
            uow.commit()
        raise Refused(decision.code, decision.detail, decision.basis)
    try:
        fee = fees.charge_for(
            document,
            principal.channel,
            exemption=cmd.exemption,
            requester_class=decision.requester_class,
            copies=cmd.copies,
        )
    except ValueError as exc:
        raise InvalidRequest(
            getattr(exc, "code", "fee.invalid"), getattr(exc, "message", str(exc))
        ) from exc
    if found.probe:
        fee = fees.probe_fee(fee)  # never charged (issuance/probes.py)
    if cmd.buyer is not None or decision.items.get("usage") == "sale":
        if cmd.buyer is None:
            raise InvalidRequest(
                "ingam.buyer_required", "부동산 매도용 인감증명서에는 매수인 정보가 필요합니다."
            )
        try:
            parse(cmd.buyer.rrn)
        except InvalidRrn as exc:
            raise InvalidRequest(exc.code, exc.detail) from exc
    with ctx.uows() as uow:
        written = write_issuance(
            uow,
            ctx=ctx,
            principal=principal,
            cmd=cmd,
            document=document,
            found=found,
            permit=decision,
            charge=fee,
            audit=audit,
            now=now,
        )
        record, fee_record = written.record, written.fee
        if not uow.idempotency.complete(
            principal=principal.ref, key=cmd.idempotency_key, holder=holder, issuance_id=record.id
        ):
            uow.rollback()  # another request took this key over; it issues, we do not
            raise Conflict(
                "idempotency.in_flight",
                "같은 요청을 다른 곳에서 처리했습니다. 같은 키로 다시 시도해 주세요.",
                retry_after=1,
            )
        uow.commit()
    log.info(
        "issuance.issued",
        document_type=document.code,
        channel=principal.channel.value,
        office=office.code,
        probe=found.probe,
    )
    return IssueOutcome(record=record, fee=fee_record, replayed=False)
