"""The OpenAPI document says what the API really does.

FastAPI declares a 200 and a 422 of its own shape. The API answers every error as RFC 9457
problem+json (web/problems.py), needs a bearer token on most routes, and takes identifiers
with fixed formats. This fills that in from the routes themselves: every operation lists
the problems it can answer, routes behind a sign-in declare the bearer scheme and its 401
and 403, and the formats of Idempotency-Key, 문서확인번호 and 주민등록번호 are patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from minwon.web import deps
from minwon.web.problems import MEDIA_TYPE

NUMBER_PATTERN = r"^[0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{4}$"
# Formats a pattern cannot say (a check digit, a date inside the number): named, so a
# client generator (and the API fuzz test) can make valid values.
NUMBER_FORMAT = "minwon-document-number"
RRN_FORMAT = "minwon-rrn"
RRN_PATTERN = r"^[0-9]{6}-?[0-9]{7}$"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{8,128}$"
NONCE_PATTERN = r"^[A-Za-z0-9_-]{0,64}$"

_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable, `detail` Korean.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
_REASONS = {
    "400": "요청을 처리할 수 없습니다",
    "401": "로그인이 필요하거나 세션이 끝났습니다",
    "403": "권한이 없습니다",
    "404": "찾을 수 없습니다",
    "405": "지원하지 않는 요청 방식입니다 (Allow 헤더)",
    "409": "충돌: 같은 키로 다른 요청, 또는 처리 중인 요청",
    "413": "요청 본문이 너무 큽니다",
    "415": "지원하지 않는 본문 형식입니다",
    "422": "요청 내용이 올바르지 않습니다",
    "429": "요청이 너무 많습니다 (Retry-After)",
    "500": "서버 오류",
    "503": "잠시 처리할 수 없습니다 (Retry-After)",
}
_SIGNED_IN = {deps.principal, deps.clerk}


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _problems_of(route: APIRoute, method: str) -> list[str]:
    codes = {"400", "405", "422", "429", "500", "503"}
    if "/auth/" in route.path_format or any(call in _SIGNED_IN for call in _calls(route.dependant)):
        codes |= {"401", "403"}
    if "{" in route.path_format or method in ("post", "put", "delete"):
        codes.add("404")
    if method in ("post", "put", "patch"):
        codes |= {"409", "413", "415"}
    return sorted(codes)


def _problem_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _REASONS[code],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code == "405":
        response["headers"] = {"Allow": {"schema": {"type": "string"}}}
    if code in ("429", "503"):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return response


def _formats(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.setdefault("schema", {})
        name = parameter["name"].lower()
        if parameter["in"] == "path" and name == "number":
            schema["pattern"] = NUMBER_PATTERN
            schema["format"] = NUMBER_FORMAT
            parameter["description"] = (
                "문서확인번호 16자리 (하이픈은 있어도 없어도 됨; 마지막 자리는 Damm 검사 숫자)"
            )
        elif parameter["in"] == "query" and name == "nonce":
            schema["pattern"] = NONCE_PATTERN
            parameter["description"] = "검증자가 정한 임의값: 응답 서명에 들어갑니다 (재사용 방지)"
        elif parameter["in"] == "header" and name == "idempotency-key":
            schema["pattern"] = IDEMPOTENCY_KEY_PATTERN
            parameter["description"] = "재시도해도 한 번만 발급되게 하는 키 (8-128자)"


def _rrn_fields(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        for name, field in (schema.get("properties") or {}).items():
            if name == "rrn" or name.endswith("_rrn"):
                target = next(
                    (s for s in field.get("anyOf", []) if s.get("type") == "string"), field
                )
                target["pattern"] = RRN_PATTERN
                target["format"] = RRN_FORMAT
                field.setdefault("description", "주민등록번호 13자리 (YYMMDD-GNNNNNN)")


def document(app: FastAPI, routers: Iterable[APIRouter], prefix: str) -> dict[str, Any]:
    """Returns the API's OpenAPI document with its problems, security and formats, for
    the operations of ``routers`` (included in ``app`` under ``prefix``)."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = _PROBLEM_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    _rrn_fields(schemas)
    routes = {
        (prefix + route.path_format, method.lower()): route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in _problems_of(route, method):
                responses[code] = _problem_response(code)
            if "401" in responses:
                operation["security"] = [{"bearer": []}]
            _formats(operation)
    return schema


def install(app: FastAPI, routers: Iterable[APIRouter], prefix: str) -> None:
    """Makes ``app`` serve :func:`document` (built once, on first request)."""
    included = tuple(routers)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, included, prefix)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
