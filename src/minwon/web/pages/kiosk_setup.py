"""무인민원발급기 설정: staff bind a browser to a kiosk device, once.

The device key alone is not enough: a staff member who may act on the kiosk's office
signs in on the same form (or is already signed in at the counter in this browser), and
the binding is checked and recorded by the identity service. A session opened by the
form is closed again at once, so no staff session is left behind on a public kiosk.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, Response

from minwon.errors import Forbidden, Unauthorized
from minwon.identity import services as identity
from minwon.identity.model import Principal, PrincipalKind
from minwon.web.deps import ContainerDep, client_address
from minwon.web.pages.common import field
from minwon.web.pages.cookies import KIOSK_DEVICE_COOKIE, set_cookie
from minwon.web.pages.csrf import CheckedForm
from minwon.web.pages.rendering import redirect, render
from minwon.web.pages.sessions import DEVICE_COOKIE_DAYS, KioskDevice, seal_device, session_token

router = APIRouter(prefix="/kiosk")
DEVICE_ERROR = "등록되지 않은 기기이거나 기기 키가 맞지 않습니다."


def _signed_in_staff(request: Request, c: ContainerDep) -> Principal | None:
    """Returns the staff member signed in at the counter in this browser, if any."""
    token = session_token(request)
    if not token:
        return None
    try:
        principal = identity.authenticate(c.identity, token)
    except Unauthorized:
        return None
    return principal if principal.kind is PrincipalKind.CLERK else None


def _form(
    request: Request, c: ContainerDep, *, error: str | None, device_id: str = "", status: int = 200
) -> Response:
    staff = _signed_in_staff(request, c)
    return render(
        request,
        "kiosk/setup.html",
        {
            "page_title": "무인민원발급기 설정",
            "error": error,
            "device_id": device_id,
            "staff": staff,
            "idle_seconds": 0,
        },
        status=status,
    )


@router.get("/setup")
def setup_form(request: Request, c: ContainerDep) -> Response:
    return _form(request, c, error=None)


@router.post("/setup")
def setup(request: Request, form: CheckedForm, c: ContainerDep) -> Response:
    """Binds this browser to a kiosk device: its key, and staff who may bind it."""
    device_id = field(form, "device_id")[:40]
    key = field(form, "device_key")[:200]
    client = client_address(request)
    staff = _signed_in_staff(request, c)
    opened: str | None = None
    try:
        if staff is None:
            username = field(form, "staff_username")[:60]
            if not username:
                raise Unauthorized(
                    "kiosk.staff_required", "담당 공무원의 아이디와 비밀번호를 입력해 주세요."
                )
            grant = identity.clerk_login(
                c.identity,
                username=username,
                password=field(form, "staff_password")[:200],
                client=client,
            )
            opened, staff = grant.token, grant.principal
        identity.bind_kiosk(
            c.identity, staff=staff, device_id=device_id, device_key=key, client=client
        )
    except (Unauthorized, Forbidden) as exc:
        wrong_device = exc.code == "kiosk.device_unknown"
        status = 401 if isinstance(exc, Unauthorized) else 403
        detail = DEVICE_ERROR if wrong_device else exc.detail
        return _form(request, c, error=detail, device_id=device_id, status=status)
    finally:
        if opened is not None:  # only for this check: never left open on the kiosk
            with contextlib.suppress(Exception):
                identity.logout(c.identity, opened)
    response = redirect("/kiosk")
    set_cookie(
        response,
        request,
        KIOSK_DEVICE_COOKIE,
        seal_device(c, KioskDevice(device_id, key)),
        max_age=DEVICE_COOKIE_DAYS * 86400,
        samesite="strict",
    )
    return response
