"""CSRF protection for every page form: a double-submit cookie whose token is an HMAC.

The browser holds a random nonce in an HttpOnly cookie (``minwon_csrf``). Each form carries
``csrf_token`` = HMAC(server secret, nonce | session cookie | kiosk device cookie). A forged
cross-site form cannot know the token (it cannot read our cookies or pages), and a token
is bound to the session it was rendered for, so a planted nonce cookie is not enough either.
The secret is derived from the pepper, so every app instance checks every other's tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from minwon.errors import Forbidden
from minwon.web.deps import SESSION_COOKIE
from minwon.web.pages.cookies import KIOSK_DEVICE_COOKIE, derived_secret, set_cookie

CSRF_COOKIE = "minwon_csrf"
FIELD = "csrf_token"
_STATE_NONCE = "minwon_csrf_nonce"
_STATE_NEW = "minwon_csrf_new"


class CsrfRejected(Forbidden):
    title = "보안 확인에 실패했습니다"


def _nonce(request: Request) -> str:
    existing = getattr(request.state, _STATE_NONCE, None)
    if existing:
        return str(existing)
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) < 20:
        nonce = secrets.token_urlsafe(24)
        setattr(request.state, _STATE_NEW, True)
    setattr(request.state, _STATE_NONCE, nonce)
    return nonce


def _expected(request: Request, nonce: str) -> str:
    container = request.app.state.container
    binding = "|".join(
        (
            nonce,
            request.cookies.get(SESSION_COOKIE, ""),
            request.cookies.get(KIOSK_DEVICE_COOKIE, ""),
        )
    )
    mac = hmac.new(derived_secret(container, b"csrf"), binding.encode(), hashlib.sha256)
    return mac.hexdigest()


def token(request: Request) -> str:
    """Returns the token for forms on this page (creating the nonce cookie if needed)."""
    return _expected(request, _nonce(request))


def attach(request: Request, response: Response) -> None:
    """Sets the nonce cookie on ``response`` when this request created one."""
    if getattr(request.state, _STATE_NEW, False):
        set_cookie(response, request, CSRF_COOKIE, _nonce(request), samesite="strict")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        # Browsers send Origin on cross-site POSTs; its absence alone proves nothing, and
        # "null" (sandboxed frames, some redirects) is left to the token check.
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def verify(request: Request, form: FormData) -> None:
    """Raises CsrfRejected unless the form carries the token of this browser's session."""
    sent = form.get(FIELD)
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if (
        not isinstance(sent, str)
        or not nonce
        or not _same_origin(request)
        or not hmac.compare_digest(sent, _expected(request, nonce))
    ):
        raise CsrfRejected(
            "csrf.invalid",
            "보안 확인 값이 없거나 맞지 않습니다. 페이지를 새로 불러온 뒤 다시 시도해 주세요.",
        )


async def checked_form(request: Request) -> FormData:
    """Dependency: the POSTed form, after the CSRF check."""
    form = await request.form()
    verify(request, form)
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]
