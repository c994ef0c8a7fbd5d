"""Issue, fetch, download, void; the catalog; public verification and keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from minwon.bootstrap import Container
from minwon.catalog.model import DocumentType
from minwon.errors import InvalidRequest, NotFound
from minwon.identity.services import check_rate
from minwon.issuance.access import DOWNLOAD
from minwon.issuance.commands import (
    CounterRequester,
    IssueDocument,
    PartyInput,
    ProxyEvidence,
    VoidIssuance,
)
from minwon.issuance.documents import document_pdf
from minwon.issuance.model import Delegation
from minwon.issuance.numbers import display
from minwon.issuance.reading import (
    check_downloadable,
    entry_for,
    issuance_for,
    issuances_of,
    office_register,
)
from minwon.issuance.records import IssuanceRecord, public_digest
from minwon.issuance.services import IssueOutcome, issue_document, void_issuance
from minwon.issuance.verification import VerificationResult
from minwon.rendering.attestation import attest, valid_nonce
from minwon.rendering.trust import bundle_of
from minwon.web.deps import ClerkDep, ContainerDep, PrincipalDep, client_address
from minwon.web.schemas import (
    Day,
    DocumentTypeOut,
    FeeOut,
    IssuanceOut,
    IssueIn,
    ItemOut,
    RegisterEntryOut,
    VerificationOut,
    VoidIn,
)
from minwon.web.verification import disclosure_json, open_verification

router = APIRouter(tags=["issuance"])
PDF = "application/pdf"


def _type_out(t: DocumentType) -> DocumentTypeOut:
    return DocumentTypeOut(
        code=t.code,
        title=t.title,
        description=t.description,
        subject=t.subject.value,
        channels={o.channel.value: o.fee for o in t.offers},
        items=[
            ItemOut(
                code=i.code,
                label=i.label,
                kind=i.kind,
                default=i.default,
                choices=[list(c) for c in i.choices],
                restricted_to=list(i.restricted_to),
            )
            for i in t.items
        ],
        exemptions=[{"code": e.code, "label": e.label, "basis": e.basis} for e in t.exemptions],
        valid_days=t.valid_days,
    )


@router.get("/catalog", response_model=list[DocumentTypeOut], summary="발급 가능한 증명서 목록")
def catalog(c: ContainerDep) -> list[DocumentTypeOut]:
    return [_type_out(t) for t in c.catalog.all()]


@router.get("/catalog/{code}", response_model=DocumentTypeOut, summary="증명서 종류 상세")
def catalog_type(code: str, c: ContainerDep) -> DocumentTypeOut:
    t = c.catalog.get(code)
    if t is None:
        raise NotFound("catalog.unknown_type", "요청한 증명서 종류가 없습니다.")
    return _type_out(t)


def _out(
    record: IssuanceRecord,
    fee: int | None,
    exemption: str | None,
    c: Container,
    *,
    replayed: bool = False,
    with_snapshot: bool = False,
) -> IssuanceOut:
    base, digest_key = c.settings.public_base_url, c.issuance.digest_key
    return IssuanceOut(
        id=record.id,
        number=record.number,
        number_display=display(record.number),
        document_type=record.document_type,
        status=record.status.value,
        channel=record.channel,
        office_code=record.office_code,
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        content_hash=public_digest(digest_key, record.content_hash),
        pdf_sha256=record.pdf_sha256,
        fee=FeeOut(amount=fee, exemption=exemption) if fee is not None else None,
        replayed=replayed,
        pdf_url=f"{base}/api/v1/issuances/{record.number}/pdf",
        verify_url=f"{base}/api/v1/verify/{record.number}",
        snapshot=record.snapshot_data() if with_snapshot else None,
        probe=record.probe,
    )


def _command(body: IssueIn, key: str) -> IssueDocument:
    return IssueDocument(
        idempotency_key=key,
        document_type=body.document_type,
        subject_resident_id=body.subject_resident_id,
        subject_rrn=body.subject_rrn,
        building_number=body.building_number,
        items=body.items,
        purpose=body.purpose,
        ground=body.ground,
        delegation=(
            Delegation(
                written_on=body.delegation.written_on,
                document_types=tuple(body.delegation.document_types),
                delegator_id_seen=body.delegation.delegator_id_seen,
                valid_until=body.delegation.valid_until,
            )
            if body.delegation
            else None
        ),
        exemption=body.exemption,
        copies=body.copies,
        requester=(
            CounterRequester(body.requester.name, body.requester.rrn, body.requester.id_checked)
            if body.requester
            else None
        ),
        proxy=(
            ProxyEvidence(  # no age: the service takes it from the proxy's own number
                delegate_id_checked=body.proxy.delegate_id_checked,
                delegator_id_checked=body.proxy.delegator_id_checked,
                fingerprint_taken=body.proxy.fingerprint_taken,
                fingerprint_capture=body.proxy.fingerprint,
            )
            if body.proxy
            else None
        ),
        buyer=PartyInput(body.buyer.name, body.buyer.rrn, body.buyer.address)
        if body.buyer
        else None,
    )


@router.post(
    "/issuances",
    response_model=IssuanceOut,
    status_code=201,
    summary="증명서 발급 (Idempotency-Key 필수)",
    responses={
        200: {"description": "같은 키로 이미 발급된 문서 (재전송)"},
        403: {"description": "발급 거부와 법적 근거"},
    },
)
def issue(
    body: IssueIn,
    request: Request,
    c: ContainerDep,
    p: PrincipalDep,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", max_length=80)],
    accept: Annotated[str, Header()] = "application/json",
) -> Response:
    outcome = issue_document(c.issuance, principal=p, cmd=_command(body, idempotency_key))
    return _issued_response(c, outcome, accept)


def _issued_response(c: ContainerDep, outcome: IssueOutcome, accept: str) -> Response:
    status = 200 if outcome.replayed else 201
    headers = {
        "Location": f"/api/v1/issuances/{outcome.record.number}",
        "Minwon-Document-Number": outcome.record.number,
        "Idempotent-Replayed": "true" if outcome.replayed else "false",
    }
    if PDF in accept:
        pdf = document_pdf(c.issuance, outcome.record)
        return Response(pdf, status_code=status, media_type=PDF, headers=headers)
    out = _out(
        outcome.record,
        outcome.fee.amount,
        outcome.fee.exemption,
        c,
        replayed=outcome.replayed,
        with_snapshot=True,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=status, headers=headers)


@router.get("/issuances", response_model=list[IssuanceOut], summary="내가 발급받은 문서 목록")
def my_issuances(c: ContainerDep, p: PrincipalDep) -> list[IssuanceOut]:
    return [
        _out(e.record, e.fee.amount if e.fee else None, e.fee.exemption if e.fee else None, c)
        for e in issuances_of(c.issuance, principal=p)
    ]


@router.get("/issuances/{number}", response_model=IssuanceOut, summary="발급 기록 조회")
def get_issuance(number: str, c: ContainerDep, p: PrincipalDep) -> IssuanceOut:
    entry = entry_for(c.issuance, principal=p, number=number)
    return _out(
        entry.record,
        entry.fee.amount if entry.fee else None,
        entry.fee.exemption if entry.fee else None,
        c,
        with_snapshot=True,
    )


@router.get(
    "/issuances/{number}/pdf",
    summary="서명된 PDF 내려받기",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}},
)
def issuance_pdf(number: str, c: ContainerDep, p: PrincipalDep) -> Response:
    record = issuance_for(c.issuance, principal=p, number=number, action=DOWNLOAD)
    check_downloadable(record)
    pdf = document_pdf(c.issuance, record)
    return Response(
        pdf,
        media_type=PDF,
        headers={"Content-Disposition": f'attachment; filename="minwon-{record.number}.pdf"'},
    )


@router.post(
    "/issuances/{number}/void", response_model=IssuanceOut, summary="발급 취소 (담당 공무원)"
)
def void(number: str, body: VoidIn, c: ContainerDep, p: PrincipalDep) -> IssuanceOut:
    # Any signed-in caller reaches the service, so a refused void is recorded there too.
    record = void_issuance(
        c.issuance, principal=p, cmd=VoidIssuance(number=number, reason=body.reason)
    )
    return _out(record, None, None, c)


@router.get(
    "/offices/{office_code}/register",
    response_model=list[RegisterEntryOut],
    summary="교부대장: 기관의 하루 발급 기록",
)
def register(
    office_code: str, c: ContainerDep, p: ClerkDep, day: Day | None = None
) -> list[RegisterEntryOut]:
    entries = office_register(c.issuance, principal=p, office_code=office_code, day=day)
    return [
        RegisterEntryOut(
            number=e.record.number,
            document_type=e.record.document_type,
            issued_at=e.record.issued_at,
            status=e.record.status.value,
            requester_kind=e.record.requester_kind,
            fee=e.fee.amount if e.fee else None,
        )
        for e in entries
    ]


def _verification_out(v: VerificationResult) -> VerificationOut:
    return VerificationOut(
        number=v.number_display,
        status=v.status.value,
        status_label=v.status_label,
        document_type=v.document_type,
        title=v.title,
        issued_at=v.issued_at,
        expires_at=v.expires_at,
        voided_at=v.voided_at,
        office_name=v.office_name,
        subject=v.subject_masked,
        content_hash=v.content_hash,
        probe=v.probe,
    )


@router.get(
    "/verify/{number}",
    response_model=VerificationOut,
    tags=["verification"],
    summary="문서 진위 확인 (로그인 불필요, 요청 수 제한)",
)
def verify(
    number: str,
    request: Request,
    c: ContainerDep,
    nonce: str = "",
    factor: Annotated[str | None, Header(alias="Minwon-Verify-Factor", max_length=40)] = None,
) -> Response:
    check_rate(
        c.identity, f"verify:{client_address(request)}", c.settings.verification.rate_per_minute
    )
    if not valid_nonce(nonce):
        raise InvalidRequest("verify.nonce", "nonce는 64자 이하의 base64url 문자열이어야 합니다.")
    disclosure = open_verification(c, request, number, factor)  # web/verification.py
    result = disclosure.summary
    # Serialised here, once: returned as a model, FastAPI would validate it a second time
    # against response_model (a tenth of a lookup's cost on the busiest public endpoint).
    data = _verification_out(result).model_dump(mode="json")
    # Signed, so a verifier holding the trust bundle can tell this answer from a
    # look-alike server's (rendering/attestation.py).
    data["attestation"] = attest(
        c.keys.token_private,
        number=result.number,
        status=result.status.value,
        digest=result.content_hash,
        checked_at=c.clock.now(),
        nonce=nonce,
    )
    data.update(disclosure_json(c, disclosure))
    return JSONResponse(data)


@router.get(
    "/trust-bundle",
    tags=["verification"],
    summary="신뢰 묶음: 루트 인증서와 QR 토큰 공개키 (한 번 받아 지문을 확인하고 설치)",
)
def trust_bundle(c: ContainerDep) -> dict[str, object]:
    # Published for download, not for verifiers to fetch on every check: `minwon verify`
    # trusts only an installed bundle, whose root fingerprint a person compared once.
    return bundle_of(c.keys, now=c.clock.now()).to_json()


@router.get("/keys", tags=["verification"], summary="신뢰 묶음 (예전 주소)", deprecated=True)
def keys(c: ContainerDep) -> dict[str, object]:
    return trust_bundle(c)
