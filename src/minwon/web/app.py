"""The FastAPI application: JSON API under /api/v1, health and metrics."""

from __future__ import annotations

import time

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from minwon import __version__
from minwon.bootstrap import Container
from minwon.issuance.reading import ready
from minwon.operations.availability.recorder import ChannelRecorder
from minwon.web import openapi, pages, problems
from minwon.web.api import auth, issuance, notices, registry, verification
from minwon.web.channel_metrics import OpenIncidents, exposition
from minwon.web.edge import BodyLimit, TrustedProxies
from minwon.web.operator_access import from_operator
from minwon.web.traffic import RecordTraffic

ACCESS = structlog.get_logger("minwon.access")
REQUESTS = Counter("minwon_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("minwon_http_request_seconds", "HTTP request latency", ["method", "route"])

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Sent only over HTTPS (directly, or as a trusted proxy says): browsers then refuse plain
# HTTP to this host for a year.
HSTS = "max-age=31536000"
# Uploads read and cap their own bodies (web/uploads.py: 5 MB of PDF); every other body
# is held to MINWON_MAX_BODY_BYTES (web/edge.py).
UPLOAD_PATHS = ("/api/v1/verify/pdf", "/verify/pdf")
# Pages load only their own CSS/JS (no inline script or style); nothing may frame them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class ObserveRequests:
    """Times, counts and logs each request by route template, and adds security headers.

    Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs every request
    through an extra task and memory stream (a fifth of a verification lookup's cost).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        csp = not scope["path"].startswith("/api/v1/docs")  # Swagger UI loads from a CDN
        https = scope.get("scheme") == "https"  # as TrustedProxies left it

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if csp:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            # Route templates, not paths: a path can carry a document number.
            name = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            elapsed = time.perf_counter() - started
            LATENCY.labels(method, name).observe(elapsed)
            REQUESTS.labels(method, name, str(status)).inc()
            ACCESS.info(
                "http.request",
                method=method,
                route=name,
                status=status,
                ms=round(elapsed * 1000, 1),
            )


def create_app(container: Container, *, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """Returns the app wired to ``container`` (the composition root's product); `lifespan`
    runs what a serving process does beside requests (``asgi.py``)."""
    app = FastAPI(
        lifespan=lifespan,
        title="Minwon 민원 API",
        version=__version__,
        description="주민등록표 등·초본, 인감증명서, 납세증명서, 건축물대장의 발급과 진위 확인",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.container = container
    # This app's requests per channel and minute (the flusher in asgi.py writes them).
    traffic = ChannelRecorder(
        container.instance_id, clock=lambda: container.clock.now().timestamp()
    )
    app.state.traffic = traffic
    channel_families = exposition(traffic, OpenIncidents(container.incident_store))
    problems.install(app)
    api = (auth.router, issuance.router, notices.router, registry.router, verification.router)
    for router in api:
        app.include_router(router, prefix="/api/v1")
    openapi.install(app, api, "/api/v1")
    pages.install(app)

    # Outermost last: the real client and scheme first, then timing and headers, then the
    # body limit (so a 413 is counted and carries the security headers too).
    web = container.settings.web
    app.add_middleware(BodyLimit, limit=web.max_body_bytes, own_limit=UPLOAD_PATHS)
    app.add_middleware(RecordTraffic, recorder=traffic)
    app.add_middleware(ObserveRequests)
    app.add_middleware(TrustedProxies, networks=web.trusted_proxies)

    @app.get("/healthz", tags=["operations"], summary="프로세스 생존 확인")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/healthz/echo",
        tags=["operations"],
        summary="경로 점검: 받은 본문을 되돌려 줌",
        response_class=Response,
        openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {}}}}},
        responses={
            200: {
                "description": "보낸 본문 그대로 (부하분산기의 4 KB 경로 점검)",
                "content": {"application/octet-stream": {"schema": {}}},
            },
            413: {"description": "MINWON_MAX_BODY_BYTES를 넘는 본문"},
        },
    )
    async def echo(request: Request) -> Response:
        # Load balancers check each network path with a body of several KB: a router that
        # drops large packets lets a small GET through (the 2023 outage, DESIGN.md F4).
        # The body is capped by BodyLimit (MINWON_MAX_BODY_BYTES) and sent back as bytes
        # to be saved, never rendered.
        body = await request.body()
        return Response(
            body,
            media_type="application/octet-stream",
            headers={"Content-Disposition": "attachment"},
        )

    @app.get("/readyz", tags=["operations"], summary="데이터베이스 연결 확인")
    def readyz() -> Response:
        if not ready(container.issuance):
            return problems.problem(
                503, "not_ready", "준비되지 않음", "데이터베이스에 연결할 수 없습니다."
            )
        return Response('{"status":"ready"}', media_type="application/json")

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not from_operator(request, web.metrics_networks, web.metrics_token):
            return problems.problem(
                403,
                "metrics_forbidden",
                "운영자 전용",
                "지표는 운영자 주소(MINWON_METRICS_NETWORKS)에서나 운영자 토큰"
                "(Authorization: Bearer)으로만 볼 수 있습니다.",
            )
        return Response(generate_latest() + channel_families(), media_type=CONTENT_TYPE_LATEST)

    return app
