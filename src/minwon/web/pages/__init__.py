"""Server-rendered pages in Korean: home, citizen portal, counter, kiosk and verification.

The pages call the same services as the JSON API (never their own copy of a rule); this
package adds only what a browser needs: sessions in cookies, CSRF tokens, readable error
pages, and the templates.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from minwon.web.pages import (
    counter,
    errors,
    kiosk,
    kiosk_setup,
    notices,
    ops,
    oversight,
    portal,
    public,
    status,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    """Adds the page routers, ``/static`` and HTML error pages outside ``/api``."""
    routers = (
        public.router,
        status.router,
        portal.router,
        notices.router,
        counter.router,
        oversight.router,
        ops.router,
        kiosk.router,
        kiosk_setup.router,
    )
    for router in routers:
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    errors.install(app)
