"""Jinja2 templates for the pages, and the one ``render`` every page handler uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from minwon import __version__
from minwon.clock import KST
from minwon.issuance.numbers import display
from minwon.web.pages import csrf

_env = Environment(
    loader=PackageLoader("minwon.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _kst(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(KST).strftime(fmt)


def _won(amount: int | None) -> str:
    if amount is None:
        return "-"
    return "무료" if amount == 0 else f"{amount:,}원"


def _krw(amount: int) -> str:
    return f"{amount:,}원"


_env.filters["kst"] = _kst
_env.filters["krw"] = _krw
_env.filters["won"] = _won
_env.filters["docno"] = display
_env.globals["version"] = __version__

KIOSK_IDLE_SECONDS = 60  # a kiosk returns to its start screen after this long untouched
AREAS = {"portal": "인터넷 민원", "counter": "창구 민원", "kiosk": "무인민원발급기"}


def area_of(path: str) -> str:
    """Returns the area a path belongs to: portal, counter, kiosk or public."""
    first = path.strip("/").split("/", 1)[0]
    return first if first in AREAS else "public"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    stateless: bool = False,
) -> HTMLResponse:
    """Returns the rendered page, with this browser's CSRF token available as ``csrf_token``;
    `stateless`: a page with no form that sets no cookie (``csrf_token`` is empty)."""
    area = area_of(request.url.path)
    values: dict[str, Any] = {
        "request": request,
        "csrf_token": "" if stateless else csrf.token(request),
        "csrf_field": csrf.FIELD,
        "area": area,
        "area_title": AREAS.get(area, ""),
        "user": None,
        "page_title": "",
        "idle_seconds": KIOSK_IDLE_SECONDS if area == "kiosk" else 0,
    }
    values.update(context or {})
    html = _env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    if not stateless:
        csrf.attach(request, response)
    return response


def redirect(url: str, *, replayed: bool | None = None) -> RedirectResponse:
    """Returns a 303 (POST → GET) redirect. After an issuance form, `replayed` says
    whether it handed back a document issued before (a form sent twice), as the API's
    ``Idempotent-Replayed`` does: the traffic count takes it for no new document."""
    response = RedirectResponse(url, status_code=303)
    if replayed is not None:
        response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return response
