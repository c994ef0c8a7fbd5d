"""무인민원발급기: document → fingerprint → items → pay → print → 처음으로.

A kiosk is bound once by staff (kiosk_setup.py: a staff sign-in plus the device's id and
key); the key then lives only in an encrypted HttpOnly cookie and is checked again by the
identity service at every identification. The person's session is the identity service's
short kiosk session (minutes), and the page returns to the start by itself after a minute
without a touch. Before each step the kiosk asks the database whether it answers, and says
so plainly instead of failing mid-flow.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from minwon.bootstrap import Container
from minwon.catalog.model import Channel, DocumentType, Subject
from minwon.errors import NotFound, Unauthorized
from minwon.identity import services as identity
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.access import DOWNLOAD, READ
from minwon.issuance.commands import IssueDocument
from minwon.issuance.reading import kiosk_printable, ready
from minwon.issuance.records import IssuanceRecord
from minwon.issuance.services import issue_document
from minwon.registry.services import household_of
from minwon.web.deps import ContainerDep, client_address
from minwon.web.pages.common import (
    copies,
    document_or_404,
    fee_for,
    field,
    item_views,
    items_from,
    new_idempotency_key,
    pdf_of,
    title_of,
)
from minwon.web.pages.cookies import (
    KIOSK_DEVICE_COOKIE,
    KIOSK_SESSION_COOKIE,
    clear_cookie,
    set_cookie,
)
from minwon.web.pages.csrf import CheckedForm
from minwon.web.pages.rendering import redirect, render
from minwon.web.pages.sessions import (
    KIOSK_PATH,
    KioskDevice,
    kiosk_token,
    open_device,
)

router = APIRouter(prefix="/kiosk")


def _device(request: Request, c: Container) -> KioskDevice | None:
    return open_device(c, request.cookies.get(KIOSK_DEVICE_COOKIE))


def _page(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> Response:
    return render(request, template, context, status=status)


def _degraded(request: Request) -> Response:
    return _page(
        request,
        "kiosk/degraded.html",
        {"page_title": "지금은 발급할 수 없습니다", "idle_seconds": 0},
        status=503,
    )


def _person(request: Request, c: Container) -> Principal:
    device = _device(request, c)
    token = kiosk_token(request)
    if device is None or not token:
        raise Unauthorized(
            "kiosk.session_expired", "시간이 지나 본인 확인이 끝났습니다. 처음부터 다시 해 주세요."
        )
    principal = identity.authenticate(c.identity, token)
    if principal.kind is not PrincipalKind.KIOSK or principal.id != device.device_id:
        raise Unauthorized("kiosk.session_expired", "처음부터 다시 해 주세요.")
    return principal


@router.get("")
def home(request: Request, c: ContainerDep) -> Response:
    if not ready(c.issuance):
        return _degraded(request)
    device = _device(request, c)
    if device is None:
        return redirect("/kiosk/setup")
    documents = [
        (d, fee) for d in c.catalog.all() if (fee := fee_for(d, Channel.KIOSK)) is not None
    ]
    return _page(
        request,
        "kiosk/home.html",
        {
            "page_title": "발급할 증명서를 고르세요",
            "documents": documents,
            "device_id": device.device_id,
        },
    )


def _sensor(c: Container) -> dict[str, object]:
    """Whether the simulated sensor runs here (MINWON_DEMO_FINGERPRINT=1): if not, the
    identification page says the sensor is unavailable instead of offering it."""
    return {"sensor": c.identity.sensor is not None}


def _kiosk_document(c: Container, code: str) -> DocumentType:
    document = document_or_404(c, code)
    if fee_for(document, Channel.KIOSK) is None:
        raise NotFound("kiosk.not_offered", "이 증명서는 무인민원발급기에서 발급하지 않습니다.")
    return document


@router.get("/identify")
def identify_form(request: Request, c: ContainerDep, doc: str = "") -> Response:
    if not ready(c.issuance):
        return _degraded(request)
    if _device(request, c) is None:
        return redirect("/kiosk/setup")
    document = _kiosk_document(c, doc)
    return _page(
        request,
        "kiosk/identify.html",
        {"page_title": "본인 확인", "document": document, "error": None, **_sensor(c)},
    )


@router.post("/sensor")
def sensor(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    """시연용 지문 센서: the simulated capture for a number, only when the simulator runs."""
    device = _device(request, c)
    if device is None:
        raise NotFound("kiosk.sensor_unavailable", "지문 센서 시연 기능을 사용할 수 없습니다.")
    capture = identity.demo_capture(
        c.identity, device_id=device.device_id, rrn=field(form, "rrn")[:20]
    )
    return JSONResponse({"capture": capture, "simulated": True})


@router.post("/identify")
def identify(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    device = _device(request, c)
    if device is None:
        return redirect("/kiosk/setup")
    document = _kiosk_document(c, field(form, "doc"))
    try:
        grant = identity.kiosk_session(
            c.identity,
            device_id=device.device_id,
            device_key=device.device_key,
            rrn=field(form, "rrn")[:20],
            fingerprint=field(form, "fingerprint")[:128],
            client=client_address(request),
        )
    except Unauthorized as exc:
        return _page(
            request,
            "kiosk/identify.html",
            {"page_title": "본인 확인", "document": document, "error": exc.detail, **_sensor(c)},
            status=401,
        )
    response = redirect(f"/kiosk/items?doc={document.code}")
    set_cookie(
        response,
        request,
        KIOSK_SESSION_COOKIE,
        grant.token,
        max_age=c.identity.kiosk_session_minutes * 60,
        path=KIOSK_PATH,
        samesite="strict",
    )
    return response


@router.get("/items")
def items_form(request: Request, c: ContainerDep, doc: str = "") -> Response:
    if not ready(c.issuance):
        return _degraded(request)
    p = _person(request, c)
    document = _kiosk_document(c, doc)
    return _page(
        request,
        "kiosk/items.html",
        {
            "page_title": "발급 내용 선택",
            "document": document,
            "items": item_views(document),
            "people": household_of(c.registry, p.resident_id),
            "needs_building": document.subject is Subject.BUILDING,
        },
    )


def _choices(form: FormData, c: Container, p: Principal) -> dict[str, object]:
    document = _kiosk_document(c, field(form, "doc"))
    people = household_of(c.registry, p.resident_id)
    subject_id = field(form, "subject")
    subject = next(
        (x for x in people if x.resident_id == subject_id), people[0] if people else None
    )
    changed = items_from(form, document)
    values = {**document.defaults(), **changed}
    return {
        "document": document,
        "subject": subject,
        "building_number": field(form, "building_number")[:40],
        "items": item_views(document, values),
        "copies": max(1, min(copies(form), 5)),
    }


@router.post("/pay")
def pay(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    p = _person(request, c)
    chosen = _choices(form, c, p)
    document = chosen["document"]
    assert isinstance(document, DocumentType)
    fee = fee_for(document, Channel.KIOSK) or 0
    copies = chosen["copies"]
    assert isinstance(copies, int)
    return _page(
        request,
        "kiosk/pay.html",
        {
            "page_title": "결제",
            **chosen,
            "fee": fee,
            "total": fee * copies,
            "idempotency_key": new_idempotency_key("kiosk"),
        },
    )


@router.post("/issue")
def issue(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    p = _person(request, c)
    document = _kiosk_document(c, field(form, "doc"))
    building = document.subject is Subject.BUILDING
    outcome = issue_document(
        c.issuance,
        principal=p,
        cmd=IssueDocument(
            idempotency_key=field(form, "idempotency_key"),
            document_type=document.code,
            subject_resident_id=None if building else (field(form, "subject") or None),
            building_number=(field(form, "building_number")[:40] or None) if building else None,
            items=items_from(form, document),
            copies=copies(form),
        ),
    )
    return redirect(f"/kiosk/done/{outcome.record.number}", replayed=outcome.replayed)


def _printable(c: Container, p: Principal, number: str, action: str = READ) -> IssuanceRecord:
    return kiosk_printable(
        c.issuance,
        principal=p,
        number=number,
        session_minutes=c.identity.kiosk_session_minutes,
        action=action,
    )


@router.get("/done/{number}")
def done(number: str, request: Request, c: ContainerDep) -> Response:
    p = _person(request, c)
    record = _printable(c, p, number)
    return _page(
        request,
        "kiosk/done.html",
        {"page_title": "발급 완료", "record": record, "title": title_of(c, record.document_type)},
    )


@router.get("/print/{number}")
def print_pdf(number: str, request: Request, c: ContainerDep) -> Response:
    p = _person(request, c)
    record = _printable(c, p, number, DOWNLOAD)
    return Response(
        pdf_of(c, record),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="minwon-{number}.pdf"'},
    )


@router.post("/reset")
def reset(request: Request, _: CheckedForm, c: ContainerDep) -> Response:
    """처음으로: ends the person's kiosk session (also after inactivity); the device stays bound."""
    token = kiosk_token(request)
    if token:
        # The short session expires by itself; the screen must reset anyway.
        with contextlib.suppress(Exception):
            identity.logout(c.identity, token)
    response = redirect("/kiosk")
    clear_cookie(response, request, KIOSK_SESSION_COOKIE, path=KIOSK_PATH, samesite="strict")
    return response
