"""ASGI entry point for uvicorn (``minwon.web.asgi:app``): settings from the environment."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from minwon.audit.keeper import CheckpointKeeper
from minwon.bootstrap import bootstrap
from minwon.logging_setup import configure_logging
from minwon.operations.availability.flusher import TrafficFlusher
from minwon.web.app import create_app

GIL_SWITCH_SECONDS = 0.001


def make_app():  # type: ignore[no-untyped-def]
    """Builds the app; uvicorn calls this once per worker process (``--factory``)."""
    # A request that holds SQLite's write lock needs the GIL back after every statement;
    # with Python's default 5 ms turns it waits behind a render each time, and every other
    # writer waits behind it. 1 ms turns: +15-40% issuances/s in paired runs (bench/README).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    container = bootstrap()
    configure_logging(json_lines=container.settings.log_json)
    interval = container.settings.audit.checkpoint_seconds
    if interval > 0:
        CheckpointKeeper(
            container.uows, container.keys.token_private, container.clock.now, interval
        ).start()
    heartbeat = container.heartbeat()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Beats while the process serves; a clean stop retires it, so its claims are free.
        if heartbeat is not None:
            heartbeat.start()
        flusher = traffic_flusher(app)
        try:
            yield
        finally:
            if flusher is not None:
                flusher.stop()  # the last minutes written before the process goes
            if heartbeat is not None:
                heartbeat.stop()

    def traffic_flusher(app: FastAPI) -> TrafficFlusher | None:
        every = container.settings.web.traffic_flush_seconds
        if every <= 0:
            return None
        return TrafficFlusher(app.state.traffic, container.traffic_log, interval=every).start()

    return create_app(container, lifespan=lifespan)
