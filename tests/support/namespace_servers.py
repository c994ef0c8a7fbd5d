"""A tiny TCP server inside a network namespace, for tests of links and partitions."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from minwon.operations.network.netns import Namespace, call_in


def serve_in(
    namespace: Namespace, address: str, port: int, handle: Callable[[socket.socket], None]
) -> None:
    """Listens on `address`:`port` inside `namespace` and runs `handle` for each
    connection on a daemon thread (the listener closes with the namespace's test)."""
    listener = call_in(namespace, lambda: socket.create_server((address, port)))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                handle(conn)

    threading.Thread(target=serve, daemon=True).start()
