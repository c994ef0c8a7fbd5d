"""Pages anyone may open: the channel chooser and document verification (no login).

A valid document's verification shows what its paper says: the items, as the catalog
template prints them, and the issued PDF's pages as images, so a person holding a copy
compares it line by line. A city may ask for a second factor first; a voided or expired
document shows its status and dates only. A PDF can also be uploaded and checked.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from minwon.errors import Forbidden, MinwonError, NotFound, Unavailable
from minwon.issuance.disclosure import FactorState
from minwon.issuance.verification import VerificationStatus, record_for_number, status_of
from minwon.rendering.qr_token import InvalidToken, decode_token, token_from_url
from minwon.web.deps import ContainerDep
from minwon.web.pages import csrf
from minwon.web.pages.rendering import render
from minwon.web.uploads import UnreadableForm, UploadTooLarge, parse_multipart, read_capped
from minwon.web.verification import (
    MAX_UPLOAD_BYTES,
    NotAPdf,
    check_pdf,
    count_lookup,
    grant_valid,
    open_verification,
    page_count,
    page_images,
    page_urls,
    second_factor,
    view_of,
)

router = APIRouter()
FORM_OVERHEAD = 64 * 1024  # the multipart headers and the CSRF field around the file
DRAIN_BYTES = 4 * MAX_UPLOAD_BYTES


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", {"page_title": "민원 서비스"})


class _TokenError(MinwonError):
    status = 422
    title = "QR 코드를 확인할 수 없습니다"


def _context(c: ContainerDep) -> dict[str, object]:
    factor = second_factor(c)
    return {
        "page_title": "문서 진위 확인",
        "number": "",
        "token": "",
        "result": None,
        "error": None,
        "token_matches": None,
        "via_token": False,
        "factor": factor,
        "factor_needed": False,
        "factor_rejected": False,
        "document": None,
        "pages": [],
        "pages_failed": False,
        "check": None,
        "upload_error": None,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


def _verify_page(
    request: Request,
    c: ContainerDep,
    *,
    number: str | None,
    token: str | None,
    factor: str | None,
) -> Response:
    context = _context(c)
    context.update(number=(number or "")[:40], token=(token or "")[:400], via_token=bool(token))
    status = 200
    if number or token:
        count_lookup(c, request)
        try:
            digest = None
            if token:
                try:
                    claims = decode_token(token_from_url(token[:400]), c.keys.token_keyring)
                except InvalidToken as exc:
                    raise _TokenError(exc.code, exc.detail_ko) from exc
                number, digest = claims.number, claims.content_hash
            d = open_verification(c, request, number or "", factor)
            result = d.summary
            context.update(
                factor=d.factor,
                result=result,
                number=result.number_display,
                factor_needed=result.status is VerificationStatus.VALID and not d.full_view,
                factor_rejected=d.factor_state is FactorState.REJECTED,
            )
            if digest is not None:
                context["token_matches"] = result.content_hash == digest
            if d.full_view:
                context["document"] = view_of(c, d.record)
                pages = page_count(c, d.record)  # the images are drawn when asked for
                context["pages"] = page_urls(c, d.record, pages) if pages else []
                context["pages_failed"] = pages is None
        except MinwonError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise
            # A typo (check digit), an unknown number or a bad token: answer on the same
            # page, so the person can correct the number right there.
            context["error"] = {"title": exc.title, "detail": exc.detail, "code": exc.code}
            status = exc.status
    return render(request, "verify.html", context, status=status)


@router.get("/verify")
def verify(
    request: Request, c: ContainerDep, number: str | None = None, t: str | None = None
) -> Response:
    """Verifies by typed 문서확인번호 or by the token in the QR code's URL."""
    return _verify_page(request, c, number=number, token=t, factor=None)


@router.post("/verify")
def verify_with_factor(request: Request, c: ContainerDep, form: csrf.CheckedForm) -> Response:
    """The same, with the second factor the city asks for (sent in a form, not a URL)."""
    number, token, factor = (str(form.get(k) or "") for k in ("number", "t", "factor"))
    return _verify_page(
        request, c, number=number or None, token=token or None, factor=factor[:40] or None
    )


@router.get("/verify/{number}/page/{page}.png")
def verify_page_image(
    request: Request, c: ContainerDep, number: str, page: int, g: str = ""
) -> Response:
    """One page of the issued PDF as an image, for a verification that may show it."""
    count_lookup(c, request)
    record = record_for_number(c.issuance, number_text=number)
    if not grant_valid(c, record.number, g[:80]):
        raise Forbidden(
            "verify.page_grant",
            "문서 이미지를 볼 수 있는 시간이 지났습니다. 문서확인번호로 다시 확인해 주세요.",
        )
    if status_of(record, c.clock.now()) is not VerificationStatus.VALID:
        raise Forbidden(
            "verify.not_viewable", "유효한 문서가 아니어서 내용을 보여 드리지 않습니다."
        )
    pages = page_images(c, record)
    if pages is None:
        raise Unavailable("verify.pages_unavailable", "문서 이미지를 지금 만들 수 없습니다.")
    if not 1 <= page <= len(pages):
        raise NotFound("verify.page_not_found", "문서에 그런 쪽이 없습니다.")
    return Response(pages[page - 1], media_type="image/png")


@router.post("/verify/pdf")
async def verify_upload(request: Request, c: ContainerDep) -> Response:
    """Checks an uploaded PDF: signature, coverage, trust, QR token, record, byte identity.
    The file is read into memory, checked and dropped: never stored or logged."""
    context = _context(c)
    status = 200
    await run_in_threadpool(count_lookup, c, request)
    try:
        body = await read_capped(request, MAX_UPLOAD_BYTES + FORM_OVERHEAD, drain=DRAIN_BYTES)
        fields = parse_multipart(body, request.headers.get("content-type", ""))
        sent = fields.get(csrf.FIELD, b"").decode("utf-8", "replace")
        csrf.verify(request, FormData([(csrf.FIELD, sent)]))
        data = fields.get("pdf", b"")
        if not data:
            raise NotAPdf("verify.no_file", "확인할 PDF 파일을 골라 주세요.")
        context["check"] = await run_in_threadpool(check_pdf, c, data)
    except (UploadTooLarge, NotAPdf, UnreadableForm) as exc:
        context["upload_error"] = {"title": exc.title, "detail": exc.detail, "code": exc.code}
        status = exc.status
    return render(request, "verify.html", context, status=status)
