"""Running pyHanko's coroutines from plain code, whether or not an event loop runs here."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_loops = threading.local()


def _event_loop() -> asyncio.AbstractEventLoop:
    """Returns this thread's event loop for pyHanko's coroutines, kept for the thread's life.

    asyncio.run would make and close a loop per document, and in a main thread also swap
    SIGINT handlers, which on Python 3.11 formats the task's repr each time (~0.7 ms).
    """
    loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Runs ``coro`` to completion and returns its result.

    In a thread with no running loop (web workers, the CLI) on the thread's own kept loop;
    inside a running loop (an async caller, a browser test's sync API) a loop cannot be
    nested, so on a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _event_loop().run_until_complete(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(asyncio.run, coro).result()
