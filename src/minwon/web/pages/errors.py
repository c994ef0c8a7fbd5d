"""Readable Korean error pages under the page routes; ``/api`` keeps problem+json.

``install`` wraps the handlers ``problems.install`` registered: a request under a page path
gets an HTML page (with the refusal's legal basis, the stable code and a way back), any
other request goes to the original handler unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from minwon.errors import MinwonError, Refused, Unavailable
from minwon.registry.rrn import redact
from minwon.web.pages.rendering import area_of, redirect, render

log = structlog.get_logger("minwon.web.pages")
NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics", "/static/")
LOGIN_PAGES = {"portal": "/portal/login", "counter": "/counter/login"}

Handler = Callable[[Request, Any], Awaitable[Response] | Response]

_HTTP = {
    404: (
        "페이지를 찾을 수 없습니다",
        "주소가 바뀌었거나 없는 페이지입니다. 주소를 확인해 주세요.",
    ),
    405: ("지원하지 않는 요청입니다", "이 주소에서는 이 방식의 요청을 처리하지 않습니다."),
}


def is_page(request: Request) -> bool:
    """Returns True for requests that should get HTML errors (everything but API and ops)."""
    path = request.url.path
    return path != "/api" and not path.startswith(NOT_PAGES)


def error_page(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    basis: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Returns the error page for the request's area (portal, counter, kiosk or public)."""
    area = area_of(request.url.path)
    template = "kiosk/error.html" if area == "kiosk" else "error.html"
    context = {
        "page_title": title,
        "status": status,
        "title": title,
        "detail": redact(detail),
        "code": code,
        "basis": basis,
        "login_url": LOGIN_PAGES.get(area) if status == 401 else None,
    }
    try:
        return render(request, template, context, status=status, headers=headers)
    except Exception as exc:  # the error page must not fail itself (no keys, no templates)
        log.error("error_page.failed", error=type(exc).__name__)
        body = (
            '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main><h1>{title}</h1>"
            f"<p>{redact(detail)}</p><p>오류 코드: {code}</p>"
            '<p><a href="/">처음으로</a></p></main></body></html>'
        )
        return HTMLResponse(body, status_code=status, headers=headers)


def _minwon(request: Request, exc: MinwonError) -> Response:
    if isinstance(exc, Unavailable):
        return _unavailable(request, exc)
    area = area_of(request.url.path)
    if exc.status == 401 and request.method == "GET" and area in LOGIN_PAGES:
        return redirect(f"{LOGIN_PAGES[area]}?next={quote(request.url.path)}")
    headers = {}
    retry_after = exc.extra.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return error_page(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        basis=exc.basis if isinstance(exc, Refused) else None,
        headers=headers,
    )


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    # Never echo the input back: it may hold a resident registration number.
    return error_page(
        request,
        status=422,
        title="입력 내용이 올바르지 않습니다",
        detail="입력한 내용의 형식이 맞지 않습니다. 이전 화면으로 돌아가 다시 입력해 주세요.",
        code="request.invalid",
    )


def _http(request: Request, exc: StarletteHTTPException) -> Response:
    title, detail = _HTTP.get(
        exc.status_code, ("요청을 처리할 수 없습니다", "요청을 처리할 수 없습니다.")
    )
    return error_page(
        request, status=exc.status_code, title=title, detail=detail, code=f"http.{exc.status_code}"
    )


def _unavailable(request: Request, exc: Unavailable) -> Response:
    # Retries inside the request ran out. A person at a page gets told what a repeated
    # click does (nothing twice), not the API's advice about Idempotency-Key headers.
    return error_page(
        request,
        status=503,
        title="지금은 서비스를 이용할 수 없습니다",
        detail="데이터베이스를 전환하는 중입니다. 잠시 후 다시 시도해 주세요. "
        "이미 발급을 요청했다면 같은 화면에서 다시 눌러도 두 번 발급되거나 "
        "두 번 결제되지 않습니다.",
        code=exc.code,
        headers={"Retry-After": str(exc.extra.get("retry_after", 1))},
    )


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("page.failed", path=request.url.path, error=type(exc).__name__)
    return error_page(
        request,
        status=500,
        title="일시적인 오류가 발생했습니다",
        detail="요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
        code="internal",
    )


_PAGE_HANDLERS: dict[type[Exception], Handler] = {
    MinwonError: _minwon,
    RequestValidationError: _invalid,
    StarletteHTTPException: _http,
    Exception: _unexpected,
}


def _dispatch(original: Handler | None, page: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_page(request) or original is None:
            return page(request, exc)  # type: ignore[return-value]
        result = original(request, exc)
        if isinstance(result, Response):
            return result
        return await result

    return handler


def install(app: FastAPI) -> None:
    """Wraps the problem+json handlers so page routes get HTML instead."""
    originals = dict(app.exception_handlers)
    for exc_class, page in _PAGE_HANDLERS.items():
        app.add_exception_handler(exc_class, _dispatch(originals.get(exc_class), page))
