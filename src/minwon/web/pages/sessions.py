"""Sessions in cookies, and the kiosk's device binding.

Session tokens are the identity service's database sessions, so any app instance can read
them; the kiosk's device key lives only inside an encrypted HttpOnly cookie.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request, Response

from minwon.bootstrap import Container
from minwon.identity import services as identity
from minwon.web.deps import SESSION_COOKIE
from minwon.web.pages.cookies import (
    KIOSK_SESSION_COOKIE,
    clear_cookie,
    derived_secret,
    set_cookie,
)
from minwon.web.pages.rendering import redirect

KIOSK_PATH = "/kiosk"
DEVICE_COOKIE_DAYS = 365


@dataclass(frozen=True, slots=True)
class KioskDevice:
    """A kiosk's device credentials, kept only inside an encrypted HttpOnly cookie."""

    device_id: str
    device_key: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_device(container: Container, device: KioskDevice) -> str:
    """Returns the device cookie value: AES-GCM, so neither page nor script can read the key."""
    aead = AESGCM(derived_secret(container, b"kiosk-device"))
    nonce = os.urandom(12)
    plain = json.dumps({"d": device.device_id, "k": device.device_key}).encode()
    return _b64(nonce + aead.encrypt(nonce, plain, b"kiosk-device"))


def open_device(container: Container, value: str | None) -> KioskDevice | None:
    """Returns the device in a cookie value, or None for a missing or tampered cookie."""
    if not value:
        return None
    try:
        raw = _unb64(value)
        aead = AESGCM(derived_secret(container, b"kiosk-device"))
        data = json.loads(aead.decrypt(raw[:12], raw[12:], b"kiosk-device"))
        return KioskDevice(device_id=str(data["d"]), device_key=str(data["k"]))
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


def session_token(request: Request) -> str | None:
    """Returns the portal/counter session token from its cookie."""
    return request.cookies.get(SESSION_COOKIE) or None


def kiosk_token(request: Request) -> str | None:
    return request.cookies.get(KIOSK_SESSION_COOKIE) or None


def start_session(request: Request, target: str, token: str, container: Container) -> Response:
    """Returns the redirect after a sign-in, carrying the session cookie."""
    response = redirect(target)
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        token,
        max_age=container.settings.identity.session_hours * 3600,
    )
    return response


def end_session(request: Request, target: str, container: Container) -> Response:
    """Closes the database session (if any) and returns the redirect that clears its cookie."""
    token = session_token(request)
    if token:
        identity.logout(container.identity, token)
    response = redirect(target)
    clear_cookie(response, request, SESSION_COOKIE)
    return response
