"""What the app takes from the network before any route runs (plain ASGI middleware).

``TrustedProxies``: the client's address and scheme come from ``X-Forwarded-For`` and
``X-Forwarded-Proto`` only when the connection itself comes from a configured proxy
(``MINWON_TRUSTED_PROXIES``). From anyone else the headers are ignored: a client that
could name its own address would pick the one its rate limits and sign-in history are
counted under, and one that could claim HTTPS would get cookies meant for it.

``BodyLimit``: a request body is counted as it arrives and refused (413) once it passes
the limit, before anything parses it. A declared ``Content-Length`` past the limit is
refused before a byte of the body is read; a chunked body is cut off at the limit. So a
50 MB JSON body costs the server 64 KB of reading, not a parse that holds the event loop.
The uploads (``/verify/pdf``) read and cap their own bodies (web/uploads.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minwon.web import problems
from minwon.web.pages.errors import error_page, is_page

Network = IPv4Network | IPv6Network
SCHEMES = {"http", "https"}
WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss"}


class TrustedProxies:
    """Takes the client's address and scheme from a trusted proxy's forwarding headers."""

    def __init__(self, app: ASGIApp, *, networks: Iterable[Network] = ()) -> None:
        self.app = app
        self.networks = tuple(networks)

    def trusted(self, host: str) -> bool:
        """Returns True when ``host`` is one of the configured proxies."""
        try:
            address = ip_address(host.strip().strip("[]"))
        except ValueError:
            return False
        mapped = getattr(address, "ipv4_mapped", None)
        return any((mapped or address) in network for network in self.networks)

    def client_of(self, forwarded_for: list[str]) -> str | None:
        """Returns the first address, from the right, that is not a trusted proxy: each
        proxy appends the address it was reached from, so entries left of the first
        untrusted one are whatever that client chose to send."""
        entries = [e.strip() for line in forwarded_for for e in line.split(",") if e.strip()]
        client = None
        for entry in reversed(entries):
            try:
                client = str(ip_address(entry.strip("[]")))
            except ValueError:
                break  # not an address: written by the client, not by a proxy
            if not self.trusted(client):
                break
        return client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if (
            self.networks
            and scope["type"] in ("http", "websocket")
            and peer
            and self.trusted(peer[0])
        ):
            headers = Headers(scope=scope)
            scope = dict(scope)
            client = self.client_of(headers.getlist("x-forwarded-for"))
            if client is not None:
                scope["client"] = (client, 0)
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto in SCHEMES:
                scope["scheme"] = proto if scope["type"] == "http" else WEBSOCKET_SCHEMES[proto]
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """The body passed the limit while it arrived."""


class BodyLimit:
    """Refuses request bodies past ``limit`` bytes (413) before anything parses them."""

    def __init__(self, app: ASGIApp, *, limit: int, own_limit: Collection[str] = ()) -> None:
        self.app = app
        self.limit = limit
        self.own_limit = frozenset(own_limit)  # paths that cap their own bodies (uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.own_limit:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body at all (HTTP/1.1)
            return
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self.refuse(scope, receive, send)
            return
        try:
            body = await self._read(receive)
        except BodyTooLarge:
            await self.refuse(scope, receive, send)
            return
        if body is None:
            return  # the client went away before its body was in
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: a disconnect, when it comes

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """Returns the whole body (at most ``limit`` bytes held at any time), None on a
        disconnect; raises BodyTooLarge the moment it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answers 413 without reading further; the connection closes after it (the rest
        of the body is never read)."""
        kb = self.limit // 1024
        detail = f"요청 내용이 너무 큽니다. {kb}KB 이하로 보내 주세요."
        request = Request(scope)
        headers = {"Connection": "close"}
        if is_page(request):
            response = error_page(
                request,
                status=413,
                title="요청 내용이 너무 큽니다",
                detail=detail,
                code="request.too_large",
                headers=headers,
            )
        else:
            response = problems.problem(
                413,
                "request.too_large",
                "요청 내용이 너무 큽니다",
                detail,
                instance=scope["path"],
                limit_bytes=self.limit,
            )
            response.headers.update(headers)
        await response(scope, receive, send)
