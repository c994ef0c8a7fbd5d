"""RetryingClient: every endpoint, a deadline per attempt, the same key on every try."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from minwon.client.journal import KeyJournal

# Worth another try: the request may not have been processed, or is still in flight.
RETRY_STATUS = frozenset({409, 429, 500, 502, 503, 504})
# An endpoint that did not answer in time (a dead instance, a path that drops large
# packets while small ones pass) is skipped for this long while another one is not
# suspect, so a client does not wait out the same broken path on every request.
SUSPECT_SECONDS = 10.0


class ClientError(Exception):
    """The service answered with a final problem (refusal, bad input): do not retry."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


class GaveUp(Exception):
    """No endpoint answered within the overall deadline; the key stays in the journal."""


@dataclass(frozen=True, slots=True)
class Issued:
    key: str
    number: str
    replayed: bool
    attempts: int
    endpoint: str
    body: dict[str, Any]


class RetryingClient:
    """Talks to any of several app endpoints, failing over between them."""

    def __init__(
        self,
        endpoints: list[str],
        journal: KeyJournal,
        *,
        attempt_timeout: float = 5.0,
        deadline: float = 90.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("at least one endpoint")
        self._endpoints = [e.rstrip("/") for e in endpoints]
        self._journal = journal
        self._deadline = deadline
        self._http = httpx.Client(
            timeout=httpx.Timeout(attempt_timeout, connect=min(1.0, attempt_timeout)),
            transport=transport,
        )
        self._preferred = 0
        self._suspect_until: dict[int, float] = {}  # endpoint index -> monotonic time

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, str, int]:
        stop = time.monotonic() + self._deadline
        attempts = 0
        pause = 0.1
        last: str = "no attempt"
        while time.monotonic() < stop:
            index = self._healthy_endpoint()
            base = self._endpoints[index]
            attempts += 1
            try:
                response = self._http.request(method, base + path, **kwargs)
            except httpx.TransportError as exc:
                last = f"{base}: {type(exc).__name__}"
                # That endpoint or its path is down or slow: try the next one, and keep
                # away from this one for a while.
                self._suspect_until[index] = time.monotonic() + SUSPECT_SECONDS
                self._preferred = index + 1
                if len(self._suspect_until) == len(self._endpoints):
                    time.sleep(pause)  # every endpoint failed lately: do not spin
                    pause = min(pause * 2, 1.0)
                continue
            self._suspect_until.pop(index, None)
            if response.status_code in RETRY_STATUS:
                last = f"{base}: HTTP {response.status_code}"
                if response.status_code != 409:
                    self._preferred += 1
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            return response, base, attempts
        raise GaveUp(f"no endpoint answered in {self._deadline:.0f}s (last: {last})")

    def _healthy_endpoint(self) -> int:
        """Returns the preferred endpoint, or the next one not suspect; if every one is
        suspect, the one whose suspicion ends first."""
        count = len(self._endpoints)
        now = time.monotonic()
        order = [(self._preferred + i) % count for i in range(count)]
        for index in order:
            if self._suspect_until.get(index, 0.0) <= now:
                self._preferred = index
                return index
        soonest = min(order, key=lambda i: self._suspect_until[i])
        self._preferred = soonest
        return soonest

    def login(self, kind: str, username: str, password: str) -> str:
        """Returns a session token; sessions live in the database, valid on every endpoint."""
        response, _, _ = self._send(
            "POST", f"/api/v1/auth/{kind}", json={"username": username, "password": password}
        )
        if response.status_code != 200:
            raise ClientError(response.status_code, response.json())
        return str(response.json()["token"])

    def issue(self, token: str, body: dict[str, Any], *, key: str | None = None) -> Issued:
        """Issues a document; the key is journaled first and reused on every retry."""
        key = self._journal.begin(body, key=key)
        response, endpoint, attempts = self._send(
            "POST",
            "/api/v1/issuances",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )
        if response.status_code not in (200, 201):
            raise ClientError(response.status_code, response.json())
        data = response.json()
        self._journal.finish(key, data["number"])
        return Issued(
            key=key,
            number=data["number"],
            replayed=bool(data.get("replayed")),
            attempts=attempts,
            endpoint=endpoint,
            body=body,
        )

    def resume(self, token: str) -> list[Issued]:
        """Resends every journaled request that never got an answer (after a restart)."""
        return [self.issue(token, p.body, key=p.key) for p in self._journal.pending()]
