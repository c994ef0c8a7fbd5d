"""The cookies the pages set, and the secrets derived for them.

Every cookie is HttpOnly (no script reads it), SameSite (Lax for the portal and the counter,
so a link from elsewhere still arrives signed in; Strict for the kiosk), and Secure whenever
the request came over TLS. This module imports nothing else of the pages, so sessions, CSRF
and rendering can all use it without importing each other in a circle.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from fastapi import Request, Response

from minwon.bootstrap import Container

KIOSK_SESSION_COOKIE = "minwon_kiosk_session"
KIOSK_DEVICE_COOKIE = "minwon_kiosk_device"

SameSite = Literal["lax", "strict"]


def is_secure(request: Request) -> bool:
    """Returns True when the browser reached us over TLS (Secure cookies only then)."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    path: str = "/",
    samesite: SameSite = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=is_secure(request),
        samesite=samesite,
    )


def clear_cookie(
    response: Response, request: Request, name: str, *, path: str = "/", samesite: SameSite = "lax"
) -> None:
    response.delete_cookie(
        name, path=path, httponly=True, secure=is_secure(request), samesite=samesite
    )


def derived_secret(container: Container, purpose: bytes) -> bytes:
    """Returns a secret for ``purpose`` derived from the pepper: the same on every instance."""
    return hmac.new(container.keys.pepper, b"minwon-pages:" + purpose, hashlib.sha256).digest()
