"""동 주민센터 창구: a clerk finds the resident, checks the ID card, issues, voids, and
keeps the day's 교부대장 (issuance register)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from minwon.catalog.model import Access, Channel, DocumentType, Subject
from minwon.clock import KST
from minwon.errors import InvalidRequest, RateLimited, Unauthorized
from minwon.identity import services as identity
from minwon.identity.model import Principal
from minwon.identity.roles import role_of
from minwon.issuance.access import DOWNLOAD
from minwon.issuance.applicants import applicant_for
from minwon.issuance.commands import (
    CounterRequester,
    IssueDocument,
    PartyInput,
    ProxyEvidence,
    VoidIssuance,
)
from minwon.issuance.model import Delegation, Ground
from minwon.issuance.reading import entry_for, issuance_for, office_register
from minwon.issuance.services import issue_document, void_issuance
from minwon.registry.services import find_resident, office_name, resident
from minwon.web.deps import ContainerDep, client_address
from minwon.web.pages.common import (
    ClerkPageDep,
    copies,
    document_or_404,
    fee_for,
    field,
    flag,
    issuance_rows,
    item_views,
    items_from,
    new_idempotency_key,
    parse_day,
    pdf_of,
    retry_after,
    secret,
    title_of,
)
from minwon.web.pages.csrf import CheckedForm
from minwon.web.pages.rendering import redirect, render
from minwon.web.pages.sessions import end_session, start_session

router = APIRouter(prefix="/counter")

GROUNDS = (
    (Ground.PUBLIC_DUTY, "국가·지방자치단체의 공무 (제29조②1호)"),
    (Ground.LITIGATION, "소송·비송사건·경매 (제29조②2호 가목)"),
    (Ground.OTHER_LAW, "다른 법령의 근거 (제29조②2호 나목)"),
    (Ground.SUBMISSION_OBLIGED, "법령상 제출 의무 (제29조②3호)"),
    (Ground.KIN, "직계혈족·배우자 (제29조②4호)"),
    (Ground.CREDITOR, "채권·채무 관계 (제29조②2호 다목)"),
    (Ground.PUBLIC_INTEREST, "공익 목적 (제29조②5호)"),
)


def _office_name(request: Request, p: Principal) -> str:
    c = request.app.state.container
    return office_name(c.registry, p.office_code) or (p.office_code or "")


def _user(request: Request, p: Principal) -> str:
    return f"{p.name or p.id} · {_office_name(request, p)}"


def _oversees(p: Principal) -> bool:
    """Whether the menu offers 감독 기록 (web/pages/oversight.py)."""
    role = role_of(p)
    return role is not None and role.oversees


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(
        request, "counter/login.html", {"page_title": "창구 로그인", "error": None, "username": ""}
    )


@router.post("/login")
def login(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    username = field(form, "username")[:60]
    try:
        grant = identity.clerk_login(
            c.identity,
            username=username,
            password=secret(form, "password")[:200],
            client=client_address(request),
        )
    except (Unauthorized, RateLimited) as exc:
        # A wrong password (401), or too many tries (429: from this address, or at this
        # account from addresses it was never used from): said on the login page itself.
        return render(
            request,
            "counter/login.html",
            {"page_title": "창구 로그인", "error": exc.detail, "username": username},
            status=exc.status,
            headers=retry_after(exc),
        )
    return start_session(request, "/counter", grant.token, c)


@router.post("/logout")
def logout(request: Request, _: CheckedForm, c: ContainerDep) -> Response:
    return end_session(request, "/counter/login", c)


@router.get("")
def home(request: Request, p: ClerkPageDep) -> Response:
    return render(
        request,
        "counter/home.html",
        {
            "page_title": "창구 민원",
            "user": _user(request, p),
            "results": None,
            "searched": {},
            "oversees": _oversees(p),
        },
    )


def _birth(text: str) -> date | None:
    if not text:
        return None
    birth = parse_day(text)
    if birth is None:
        raise InvalidRequest("lookup.birth_date", "생년월일을 YYYY-MM-DD로 입력해 주세요.")
    return birth


@router.post("/search")
def search(request: Request, form: CheckedForm, c: ContainerDep, p: ClerkPageDep) -> Response:
    name = field(form, "name")[:40]
    birth = _birth(field(form, "birth_date"))
    results = find_resident(
        c.registry,
        actor=p.actor,
        purpose=field(form, "purpose")[:200],
        name=name or None,
        birth_date=birth,
        rrn=field(form, "rrn")[:20] or None,
    )
    return render(
        request,
        "counter/home.html",
        {
            "page_title": "주민 조회 결과",
            "user": _user(request, p),
            "results": results,
            # Echo back name, birth date and purpose only; never the number.
            "searched": {
                "name": name,
                "birth_date": birth.isoformat() if birth else "",
                "purpose": field(form, "purpose")[:200],
            },
        },
    )


@router.get("/issue")
def issue_form(
    request: Request,
    c: ContainerDep,
    p: ClerkPageDep,
    resident_id: str = "",
    doc: str = "",
) -> Response:
    subject = resident(c.registry, resident_id) if resident_id else None
    context: dict[str, object] = {
        "page_title": "증명서 발급",
        "user": _user(request, p),
        "subject": subject,
        "subject_masked": _masked(subject.rrn) if subject else "",
        "resident_id": resident_id,
    }
    if not doc:
        documents = [
            (d, fee_for(d, Channel.COUNTER))
            for d in c.catalog.all()
            if (d.subject is Subject.BUILDING) == (subject is None)
        ]
        context.update(page_title="발급할 증명서 선택", documents=documents)
        return render(request, "counter/choose.html", context)
    document = document_or_404(c, doc)
    context.update(
        page_title=f"{document.title} 발급",
        document=document,
        fee=fee_for(document, Channel.COUNTER),
        items=item_views(document),
        grounds=GROUNDS,
        is_seal=document.access is Access.SEAL,
        needs_building=document.subject is Subject.BUILDING,
        all_documents=c.catalog.all(),
        idempotency_key=new_idempotency_key("counter"),
        today=c.clock.now().astimezone(KST).date().isoformat(),
    )
    return render(request, "counter/issue.html", context)


def _masked(rrn: str) -> str:
    from minwon.registry.rrn import mask

    return mask(rrn)


def _date(form: FormData, name: str, label: str) -> date | None:
    text = field(form, name)
    if not text:
        return None
    typed = parse_day(text)
    if typed is None:
        raise InvalidRequest("form.date", f"{label}을(를) YYYY-MM-DD로 입력해 주세요.")
    return typed


def _delegation(form: FormData, document: DocumentType) -> Delegation | None:
    if not flag(form, "has_delegation"):
        return None
    written = _date(form, "delegation_written_on", "위임장 작성일")
    if written is None:
        raise InvalidRequest("delegation.written_on", "위임장 작성일을 입력해 주세요.")
    scope = tuple(str(v) for v in form.getlist("delegation_scope") if isinstance(v, str))
    return Delegation(
        written_on=written,
        document_types=scope,
        delegator_id_seen=flag(form, "delegator_id_seen"),
        valid_until=_date(form, "delegation_valid_until", "위임장 유효기간"),
    )


def _ground(form: FormData) -> Ground | None:
    value = field(form, "ground")
    if not value:
        return None
    try:
        return Ground(value)
    except ValueError as exc:
        raise InvalidRequest("form.ground", "신청 근거를 목록에서 골라 주세요.") from exc


def _command(form: FormData, c: ContainerDep, document: DocumentType) -> IssueDocument:
    building = document.subject is Subject.BUILDING
    subject_id = field(form, "resident_id") or None
    if flag(form, "requester_is_subject") and subject_id:
        person = resident(c.registry, subject_id)
        requester = CounterRequester(person.name, person.rrn, flag(form, "id_checked"))
    else:
        name = field(form, "requester_name")[:40]
        if not name:
            raise InvalidRequest("counter.requester_name", "신청인의 이름을 입력해 주세요.")
        requester = CounterRequester(
            name, field(form, "requester_rrn")[:20] or None, flag(form, "id_checked")
        )
    proxy = None
    if document.access is Access.SEAL and flag(form, "has_delegation"):
        proxy = ProxyEvidence(  # no age: the service takes it from the proxy's number
            delegate_id_checked=flag(form, "delegate_id_checked"),
            delegator_id_checked=flag(form, "delegator_id_checked"),
            fingerprint_taken=flag(form, "fingerprint_taken"),
            fingerprint_capture=field(form, "fingerprint_capture")[:200] or None,
        )
    buyer = None
    if field(form, "buyer_name"):
        buyer = PartyInput(
            field(form, "buyer_name")[:40],
            field(form, "buyer_rrn")[:20],
            field(form, "buyer_address")[:200],
        )
    return IssueDocument(
        idempotency_key=field(form, "idempotency_key"),
        document_type=document.code,
        subject_resident_id=None if building else subject_id,
        building_number=(field(form, "building_number")[:40] or None) if building else None,
        items=items_from(form, document),
        purpose=field(form, "purpose")[:200] or None,
        ground=_ground(form),
        delegation=_delegation(form, document),
        exemption=field(form, "exemption") or None,
        copies=copies(form),
        requester=requester,
        proxy=proxy,
        buyer=buyer,
    )


@router.post("/issue")
def issue(request: Request, form: CheckedForm, c: ContainerDep, p: ClerkPageDep) -> Response:
    document = document_or_404(c, field(form, "doc"))
    outcome = issue_document(c.issuance, principal=p, cmd=_command(form, c, document))
    return redirect(
        f"/counter/issuances/{outcome.record.number}?issued=1", replayed=outcome.replayed
    )


@router.get("/issuances/{number}")
def issued(
    number: str, request: Request, c: ContainerDep, p: ClerkPageDep, issued: int = 0
) -> Response:
    entry = entry_for(c.issuance, principal=p, number=number)
    record, fee = entry.record, entry.fee
    applicant = applicant_for(c.issuance, principal=p, record=record)
    scope = applicant.delegation_scope if applicant else ()
    return render(
        request,
        "counter/issued.html",
        {
            "page_title": "발급 기록",
            "user": _user(request, p),
            "record": record,
            "title": title_of(c, record.document_type),
            "fee": fee,
            "just_issued": bool(issued),
            "applicant": applicant,
            "scope_titles": [title_of(c, code) for code in scope],
        },
    )


@router.get("/issuances/{number}/pdf")
def print_pdf(number: str, c: ContainerDep, p: ClerkPageDep) -> Response:
    record = issuance_for(c.issuance, principal=p, number=number, action=DOWNLOAD)
    return Response(
        pdf_of(c, record),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="minwon-{record.number}.pdf"'},
    )


@router.post("/issuances/{number}/void")
def void(
    number: str, request: Request, form: CheckedForm, c: ContainerDep, p: ClerkPageDep
) -> Response:
    record = void_issuance(
        c.issuance,
        principal=p,
        cmd=VoidIssuance(number=number, reason=field(form, "reason")[:200]),
    )
    return redirect(f"/counter/issuances/{record.number}")


@router.get("/register")
def register(request: Request, c: ContainerDep, p: ClerkPageDep, day: str = "") -> Response:
    chosen = parse_day(day) if day else c.clock.now().astimezone(KST).date()
    if chosen is None:
        raise InvalidRequest("register.day", "날짜를 YYYY-MM-DD로 입력해 주세요.")
    entries = office_register(c.issuance, principal=p, office_code=p.office_code or "", day=chosen)
    rows = issuance_rows(c, entries)
    total = sum(row.fee or 0 for row in rows if row.valid)
    return render(
        request,
        "counter/register.html",
        {
            "page_title": "교부대장",
            "user": _user(request, p),
            "office_name": _office_name(request, p),
            "day": chosen.isoformat(),
            "rows": rows,
            "total": total,
            "oversees": _oversees(p),
        },
    )
