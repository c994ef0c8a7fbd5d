"""Pages anyone may open: the channel chooser and document verification (no login)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from minwon.errors import MinwonError
from minwon.identity.services import check_rate
from minwon.issuance.verification import VerificationResult, verify_number
from minwon.rendering.qr_token import InvalidToken, decode_token, token_from_url
from minwon.web.deps import ContainerDep, client_address
from minwon.web.pages.rendering import render

router = APIRouter()


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", {"page_title": "민원 서비스"})


def _from_token(c: ContainerDep, text: str) -> tuple[VerificationResult, bool]:
    """Returns the verification of a QR token and whether the token's hash matches."""
    try:
        claims = decode_token(token_from_url(text), c.keys.token_public)
    except InvalidToken as exc:
        raise _TokenError(exc.code, exc.detail_ko) from exc
    result = verify_number(c.issuance, number_text=claims.number)
    return result, result.content_hash == claims.content_hash


class _TokenError(MinwonError):
    status = 422
    title = "QR 코드를 확인할 수 없습니다"


@router.get("/verify")
def verify(
    request: Request, c: ContainerDep, number: str | None = None, t: str | None = None
) -> Response:
    """Verifies by typed 문서확인번호 or by the token in the QR code's URL."""
    context: dict[str, object] = {
        "page_title": "문서 진위 확인",
        "number": (number or "")[:40],
        "result": None,
        "error": None,
        "token_matches": None,
        "via_token": bool(t),
    }
    status = 200
    if number or t:
        check_rate(
            c.identity, f"verify:{client_address(request)}", c.settings.verification.rate_per_minute
        )
        try:
            if t:
                result, matches = _from_token(c, t[:400])
                context["token_matches"] = matches
            else:
                result = verify_number(c.issuance, number_text=number or "")
            context["result"] = result
            context["number"] = result.number_display
        except MinwonError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise
            # A typo (check digit), an unknown number or a bad token: answer on the same
            # page, so the person can correct the number right there.
            context["error"] = {"title": exc.title, "detail": exc.detail, "code": exc.code}
            status = exc.status
    return render(request, "verify.html", context, status=status)
