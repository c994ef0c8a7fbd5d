"""인터넷 민원: a citizen signs in, requests a document for self or household, downloads it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from minwon.catalog.model import Channel, Subject
from minwon.errors import RateLimited, Unauthorized
from minwon.identity import services as identity
from minwon.issuance.access import DOWNLOAD
from minwon.issuance.commands import IssueDocument
from minwon.issuance.reading import entry_for, issuance_for, issuances_of
from minwon.issuance.services import issue_document
from minwon.registry.services import household_of
from minwon.web.deps import ContainerDep, client_address
from minwon.web.pages.common import (
    CitizenDep,
    document_or_404,
    fee_for,
    field,
    issuance_rows,
    item_views,
    items_from,
    new_idempotency_key,
    pdf_of,
    retry_after,
    secret,
    title_of,
)
from minwon.web.pages.csrf import CheckedForm
from minwon.web.pages.rendering import redirect, render
from minwon.web.pages.sessions import end_session, start_session

router = APIRouter(prefix="/portal")


def _safe_next(target: str) -> str:
    # Only our own portal pages: never an open redirect.
    return target if target.startswith("/portal") and "//" not in target else "/portal"


@router.get("/login")
def login_form(request: Request, next: str = "/portal") -> Response:
    return render(
        request,
        "portal/login.html",
        {"page_title": "로그인", "next": _safe_next(next), "error": None, "username": ""},
    )


@router.post("/login")
def login(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    username = field(form, "username")[:60]
    target = _safe_next(field(form, "next") or "/portal")
    try:
        grant = identity.citizen_login(
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
            "portal/login.html",
            {"page_title": "로그인", "next": target, "error": exc.detail, "username": username},
            status=exc.status,
            headers=retry_after(exc),
        )
    return start_session(request, target, grant.token, c)


@router.post("/logout")
def logout(request: Request, _: CheckedForm, c: ContainerDep) -> Response:
    return end_session(request, "/portal/login", c)


@router.get("")
def home(request: Request, c: ContainerDep, p: CitizenDep) -> Response:
    people = household_of(c.registry, p.resident_id)
    documents = [(d, fee_for(d, Channel.ONLINE)) for d in c.catalog.all()]
    return render(
        request,
        "portal/home.html",
        {
            "page_title": "인터넷 민원",
            "user": people[0].name if people else p.id,
            "documents": documents,
        },
    )


@router.get("/documents/{code}")
def document_form(code: str, request: Request, c: ContainerDep, p: CitizenDep) -> Response:
    document = document_or_404(c, code)
    people = household_of(c.registry, p.resident_id)
    return render(
        request,
        "portal/document.html",
        {
            "page_title": f"{document.title} 신청",
            "user": people[0].name if people else p.id,
            "document": document,
            "fee": fee_for(document, Channel.ONLINE),
            "items": item_views(document),
            "people": people,
            "needs_building": document.subject is Subject.BUILDING,
            "idempotency_key": new_idempotency_key("portal"),
        },
    )


@router.post("/documents/{code}")
def request_document(
    code: str, request: Request, form: CheckedForm, c: ContainerDep, p: CitizenDep
) -> Response:
    document = document_or_404(c, code)
    building = document.subject is Subject.BUILDING
    outcome = issue_document(
        c.issuance,
        principal=p,
        cmd=IssueDocument(
            idempotency_key=field(form, "idempotency_key"),
            document_type=document.code,
            subject_resident_id=None if building else (field(form, "subject") or None),
            building_number=field(form, "building_number")[:40] or None if building else None,
            items=items_from(form, document),
        ),
    )
    return redirect(
        f"/portal/issuances/{outcome.record.number}?issued=1", replayed=outcome.replayed
    )


@router.get("/issuances")
def history(request: Request, c: ContainerDep, p: CitizenDep) -> Response:
    rows = issuance_rows(c, issuances_of(c.issuance, principal=p))
    people = household_of(c.registry, p.resident_id)
    return render(
        request,
        "portal/history.html",
        {"page_title": "발급 내역", "user": people[0].name if people else p.id, "rows": rows},
    )


@router.get("/issuances/{number}")
def issued(
    number: str, request: Request, c: ContainerDep, p: CitizenDep, issued: int = 0
) -> Response:
    entry = entry_for(c.issuance, principal=p, number=number)
    record, fee = entry.record, entry.fee
    people = household_of(c.registry, p.resident_id)
    return render(
        request,
        "portal/issued.html",
        {
            "page_title": "발급 결과",
            "user": people[0].name if people else p.id,
            "record": record,
            "title": title_of(c, record.document_type),
            "fee": fee.amount if fee else None,
            "just_issued": bool(issued),
        },
    )


@router.get("/issuances/{number}/pdf")
def download(number: str, c: ContainerDep, p: CitizenDep) -> Response:
    record = issuance_for(c.issuance, principal=p, number=number, action=DOWNLOAD)
    return Response(
        pdf_of(c, record),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="minwon-{record.number}.pdf"'},
    )
