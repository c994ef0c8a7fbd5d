"""The FastAPI application: JSON API under /api/v1, health and metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from minwon import __version__
from minwon.bootstrap import Container
from minwon.web import pages, problems
from minwon.web.api import auth, issuance, registry

ACCESS = structlog.get_logger("minwon.access")
REQUESTS = Counter("minwon_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("minwon_http_request_seconds", "HTTP request latency", ["method", "route"])

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Pages load only their own CSS/JS (no inline script or style); nothing may frame them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def create_app(container: Container) -> FastAPI:
    """Returns the app wired to ``container`` (the composition root's product)."""
    app = FastAPI(
        title="Minwon 민원 API",
        version=__version__,
        description="주민등록표 등·초본, 인감증명서, 납세증명서, 건축물대장의 발급과 진위 확인",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.container = container
    problems.install(app)
    for router in (auth.router, issuance.router, registry.router):
        app.include_router(router, prefix="/api/v1")
    pages.install(app)

    @app.middleware("http")
    async def _observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        # Route templates, not paths: a path can carry a document number.
        name = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        LATENCY.labels(request.method, name).observe(elapsed)
        ACCESS.info(
            "http.request",
            method=request.method,
            route=name,
            status=response.status_code,
            ms=round(elapsed * 1000, 1),
        )
        REQUESTS.labels(request.method, name, str(response.status_code)).inc()
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith("/api/v1/docs"):  # Swagger UI loads from a CDN
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    @app.get("/healthz", tags=["operations"], summary="프로세스 생존 확인")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="데이터베이스 연결 확인")
    def readyz() -> Response:
        try:
            with container.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return problems.problem(
                503, "not_ready", "준비되지 않음", "데이터베이스에 연결할 수 없습니다."
            )
        return Response('{"status":"ready"}', media_type="application/json")

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
