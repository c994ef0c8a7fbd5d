"""ASGI entry point for uvicorn (``minwon.web.asgi:app``): settings from the environment."""

from __future__ import annotations

from minwon.bootstrap import bootstrap
from minwon.logging_setup import configure_logging
from minwon.web.app import create_app


def make_app():  # type: ignore[no-untyped-def]
    """Builds the app; uvicorn calls this once per worker process (``--factory``)."""
    container = bootstrap()
    configure_logging(json_lines=container.settings.log_json)
    return create_app(container)
