"""FastAPI dependencies: the container and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from minwon.bootstrap import Container
from minwon.errors import Forbidden, Unauthorized
from minwon.identity.model import Principal, PrincipalKind
from minwon.identity.services import authenticate
from minwon.issuance.access import DENY, record_access

SESSION_COOKIE = "minwon_session"


async def container(request: Request) -> Container:
    """Returns the process's container. ``async`` because it does no I/O: FastAPI runs a
    plain ``def`` dependency in the thread pool, one thread hop per request for nothing."""
    c: Container = request.app.state.container
    return c


ContainerDep = Annotated[Container, Depends(container)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def principal(request: Request, c: ContainerDep) -> Principal:
    token = bearer_token(request)
    if not token:
        raise Unauthorized("auth.required", "로그인이 필요합니다.")
    p = authenticate(c.identity, token)
    request.state.principal_kind = p.kind.value  # the API request's channel (web/traffic.py)
    return p


PrincipalDep = Annotated[Principal, Depends(principal)]


async def clerk(request: Request, p: PrincipalDep, c: ContainerDep) -> Principal:
    if p.kind is not PrincipalKind.CLERK:
        error = Forbidden("auth.clerk_only", "담당 공무원만 이용할 수 있습니다.")
        # A citizen or a kiosk trying a staff route is a denied action: recorded, in a
        # worker thread (it writes), before the refusal goes out.
        route = request.scope.get("route")
        attempt = str(getattr(route, "path", "")) or "staff route"
        await run_in_threadpool(
            record_access,
            c.issuance,
            p,
            action=DENY,
            outcome=error.code,
            detail={"attempt": f"{request.method} {attempt}"},
        )
        raise error
    return p


ClerkDep = Annotated[Principal, Depends(clerk)]


def client_address(request: Request) -> str:
    """Returns the client's address: the connection's own peer, or the address a trusted
    proxy forwarded for (web/edge.py: ``X-Forwarded-For`` from anyone else is ignored)."""
    return request.client.host if request.client else "unknown"
