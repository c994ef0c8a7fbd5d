"""RFC 9457 problem details: every error the API returns has this shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from minwon.errors import MinwonError
from minwon.registry.rrn import redact

PROBLEM_TYPE = "https://minwon.example/problems/"
MEDIA_TYPE = "application/problem+json"

_HTTP_CODES = {
    404: ("http.not_found", "찾을 수 없는 주소입니다."),
    405: ("http.method_not_allowed", "이 주소에서 지원하지 않는 요청 방식입니다."),
}


def problem(
    status: int, code: str, title: str, detail: str, *, instance: str | None = None, **extra: Any
) -> JSONResponse:
    """Returns a problem+json response with a stable ``code`` and a Korean ``detail``.

    Nothing in it carries a whole 주민등록번호: ``instance`` is the request's path, which
    can hold one (``/issuances/900101-1234567``), so it and every text are masked.
    """
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": redact(detail),
        "code": code,
    }
    if instance:
        body["instance"] = redact(instance)
    body.update({k: _masked(v) for k, v in extra.items() if v is not None})
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the input back: it may hold a resident registration number.
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Registers handlers so nothing leaves the API as anything but problem+json."""

    @app.exception_handler(MinwonError)
    async def _minwon(request: Request, exc: MinwonError) -> JSONResponse:
        return problem(
            exc.status, exc.code, exc.title, exc.detail, instance=request.url.path, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            422,
            "request.invalid",
            "요청 내용이 올바르지 않습니다",
            "요청 형식이 올바르지 않습니다. 'errors' 항목의 위치를 확인해 주세요.",
            instance=request.url.path,
            errors=_validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, detail = _HTTP_CODES.get(
            exc.status_code, (f"http.{exc.status_code}", "요청을 처리할 수 없습니다.")
        )
        response = problem(
            exc.status_code, code, "요청을 처리할 수 없습니다", detail, instance=request.url.path
        )
        # A 405 names the methods the path takes (Allow), as RFC 9110 asks.
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import structlog

        structlog.get_logger("minwon.web").error(
            "request.failed", path=request.url.path, error=type(exc).__name__
        )
        return problem(
            500,
            "internal",
            "서버 오류",
            "일시적인 오류가 발생했습니다. 같은 요청을 다시 보내 주세요.",
            instance=request.url.path,
        )
