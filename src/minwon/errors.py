"""Errors that reach people: a stable machine ``code``, a Korean ``detail``, an HTTP status.

The web layer turns them into RFC 9457 problem+json, the CLI into a plain message. Details
never contain a full resident registration number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MinwonError(Exception):
    status = 400
    title = "요청을 처리할 수 없습니다"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra: Mapping[str, Any] = extra


class InvalidRequest(MinwonError):
    status = 422
    title = "요청 내용이 올바르지 않습니다"


class NotFound(MinwonError):
    status = 404
    title = "찾을 수 없습니다"


class Unauthorized(MinwonError):
    status = 401
    title = "로그인이 필요합니다"


class Forbidden(MinwonError):
    status = 403
    title = "권한이 없습니다"


class Conflict(MinwonError):
    status = 409
    title = "같은 요청을 처리하고 있습니다"


class RateLimited(MinwonError):
    status = 429
    title = "요청이 너무 많습니다"


class Refused(MinwonError):
    """Entitlement said no; ``basis`` names the law."""

    status = 403
    title = "발급할 수 없습니다"

    def __init__(self, code: str, detail: str, basis: str) -> None:
        super().__init__(code, detail, basis=basis)
        self.basis = basis


class Unavailable(MinwonError):
    """The database (or another part) does not answer now; the same request may be sent
    again, and use cases retry it for a short while themselves."""

    status = 503
    title = "일시적으로 서비스를 이용할 수 없습니다"


class NotReady(Unavailable):
    """The service cannot work until an operator acts (no database, an older schema):
    a 503 as well, but retrying within the request would only make the caller wait."""

    title = "서비스가 준비되지 않았습니다"
