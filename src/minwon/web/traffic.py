"""Which channel each request served, and how it went (the availability report's facts).

Pages belong to their area by path: ``/counter`` (창구), ``/kiosk`` (무인민원발급기),
``/portal`` and the home page (인터넷 민원), ``/verify`` (진위 확인). The JSON API is
shared: verification and trust routes are the verification channel, sign-in routes the
channel they sign in to, and every other route the channel of the principal who called it
(a clerk: counter, a kiosk: kiosk, a citizen or nobody: online). A caller whose sign-in
could not be checked (the database down) is counted under the channel its token had the
last time it was (``RecentCallers``): a kiosk's failures in an outage are the kiosk
channel's, not online's. Health, readiness,
metrics, static files, the API's docs, the public status page and the operators' pages
(/ops) are nobody's channel and are not counted.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minwon.operations.availability.recorder import ChannelRecorder
from minwon.web.deps import bearer_token

API = "/api/v1"
# Also the public status page and the operators' pages: nobody's service channel.
NOT_COUNTED = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/static/",
    "/favicon.ico",
    f"{API}/docs",
    "/status",
    "/ops",
)
NOT_COUNTED_EXACT = {f"{API}/openapi.json", f"{API}/docs"}
PAGE_AREAS = {
    "counter": "counter",
    "kiosk": "kiosk",
    "portal": "online",
    "verify": "verification",
    "": "online",  # the home page: where a citizen starts
}
API_ROUTES = {
    "verify": "verification",
    "trust-bundle": "verification",
    "keys": "verification",
}
SIGN_IN = {"citizen": "online", "clerk": "counter", "kiosk": "kiosk"}
PRINCIPALS = {"clerk": "counter", "kiosk": "kiosk", "citizen": "online"}
# The paths a POST to which hands out a document when it succeeds.
ISSUING = re.compile(rf"^({API}/issuances|/counter/issue|/kiosk/issue|/portal/documents/[^/]+)/?$")
REPLAYED = b"idempotent-replayed"  # the API's header on an answer given again
PRINCIPAL_KIND = "principal_kind"  # request.state's note of who called (web/deps.py)


def channel_of(path: str, principal_kind: str | None = None) -> str | None:
    """Returns the channel a request to `path` served, or None when it is not counted."""
    if path.startswith(NOT_COUNTED) or path in NOT_COUNTED_EXACT:
        return None
    if path == API or path.startswith(f"{API}/"):
        parts = path[len(API) + 1 :].split("/")
        if parts[0] in API_ROUTES:
            return API_ROUTES[parts[0]]
        if parts[0] == "auth" and len(parts) > 1 and parts[1] in SIGN_IN:
            return SIGN_IN[parts[1]]
        return PRINCIPALS.get(principal_kind or "", "online")
    return PAGE_AREAS.get(path.strip("/").split("/", 1)[0])


class RecentCallers:
    """The principal kind of tokens recently signed in, by a digest of the token (random:
    the digest names no person), the least recently used forgotten past `size`."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._kinds: OrderedDict[bytes, str] = OrderedDict()

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def remember(self, token: str, kind: str) -> None:
        key = self._key(token)
        self._kinds[key] = kind
        self._kinds.move_to_end(key)
        while len(self._kinds) > self.size:
            self._kinds.popitem(last=False)

    def kind_of(self, token: str) -> str | None:
        """Returns the kind `token` last had, or None if it was never seen (or forgotten)."""
        return self._kinds.get(self._key(token))


class RecordTraffic:
    """Counts every request of a channel in the recorder: ok below 500, failed on a 5xx or
    no answer at all, its time to answer, and whether it issued a document.

    Plain ASGI, like ObserveRequests (web/app.py): no extra task per request.
    """

    def __init__(self, app: ASGIApp, recorder: ChannelRecorder) -> None:
        self.app = app
        self.recorder = recorder
        self.callers = RecentCallers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        channel = channel_of(path) if path else None  # the API's: refined by who called
        if channel is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        issuing = scope["method"] == "POST" and ISSUING.match(path) is not None
        status = 0  # no answer (yet)
        replayed = False

        async def send_noting_status(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                if issuing:  # the API answers a retry with the document it issued before
                    replayed = (REPLAYED, b"true") in message.get("headers", ())
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            kind = self._caller(scope, path)
            if kind is not None:
                channel = channel_of(path, kind) or channel
            success = 200 <= status < 400
            self.recorder.record(
                channel,
                ok=0 < status < 500,
                seconds=elapsed,
                issued=issuing and success and not replayed,
            )
            if issuing and not 400 <= status < 500:
                # A 4xx is the caller's mistake (a form, a rule): no sign either way.
                self.recorder.issuance(succeeded=success)

    def _caller(self, scope: Scope, path: str) -> str | None:
        """Returns the kind of principal that called the API: as signed in now, else as its
        token was last time (remembered); None for pages (their path is their channel)
        and for unknown callers."""
        if not (path == API or path.startswith(f"{API}/")):
            return None
        kind = scope.get("state", {}).get(PRINCIPAL_KIND)
        token = bearer_token(Request(scope))
        if token is None:
            return None
        if isinstance(kind, str):
            self.callers.remember(token, kind)
            return kind
        return self.callers.kind_of(token)
