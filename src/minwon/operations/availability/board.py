"""The public status board: read cheaply, kept a few seconds, never an error page.

``/status`` and ``/status.json`` are read by anyone, and hardest during an outage, when
the database is what fails. So the board is read by one thread at a time and kept
``TTL_SECONDS``: however many ask, the database sees at most three small queries (the
last ``INCIDENT_LIMIT`` incidents, their notes, the last minutes of traffic) per
interval per process. While one thread reads, the others are served the board it
replaces (up to ``STALE_SECONDS`` old); when there is none yet, they wait up to
``FIRST_WAIT_SECONDS``; past either, they get an ``unknown`` board: never a long queue of
threads waiting for a database that does not answer, nor an old 정상 while it hangs. A
failed read is kept the same ``TTL_SECONDS`` too, so a dead database is not asked again
for every visitor.

When the incidents cannot be read, every channel is ``unknown`` (확인할 수 없음): the
page says it cannot tell, not that all is well. Traffic that cannot be read leaves the
states to the incidents alone. Incidents the watcher holds in its local journal while
the database is down reach this page once merged into the database. Only the newest
``INCIDENT_LIMIT`` incidents are read: 90 days with more than that show the newest ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from minwon.operations.availability.public_text import PublicIncident, kst_iso, public_incident
from minwon.operations.availability.status import (
    CHANNEL_NAMES,
    NONE,
    RECENT_SECONDS,
    STATES,
    UNKNOWN,
    Window,
    channel_states,
    overall,
)
from minwon.operations.availability.traffic import CHANNELS, ChannelMinute, TrafficLog
from minwon.operations.incidents.store import IncidentStore, StoreUnavailableError

LOG = structlog.get_logger("minwon.status")
TTL_SECONDS = 5.0
FIRST_WAIT_SECONDS = 3.0
STALE_SECONDS = 30.0  # a kept board older than this is not shown while a read hangs
INCIDENT_LIMIT = 200  # the newest incidents read; the history shows those in its window


@dataclass(frozen=True)
class StatusBoard:
    """What the public page shows: each channel's state, and the incident history."""

    generated_at: float
    states: dict[str, str]
    incidents: tuple[PublicIncident, ...] = ()
    known: bool = True  # False: the incidents could not be read

    @property
    def state(self) -> str:
        """Returns the headline state (the worst channel's)."""
        return overall(self.states)

    @property
    def felt(self) -> list[PublicIncident]:
        """Returns the incidents the public felt (outage or degraded), newest first."""
        return [i for i in self.incidents if i.impact != NONE]

    @property
    def unfelt(self) -> list[PublicIncident]:
        """Returns the incidents with no public impact, newest first."""
        return [i for i in self.incidents if i.impact == NONE]

    @cached_property
    def json(self) -> str:
        """Returns ``to_dict`` as JSON text, made once per board (not once per visitor)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """Returns the board as /status.json shows it (stable keys and codes)."""
        return {
            "generated_at": kst_iso(self.generated_at),
            "state": self.state,
            "state_label": STATES[self.state],
            "channels": [
                {
                    "channel": ch,
                    "name": CHANNEL_NAMES[ch],
                    "state": self.states[ch],
                    "state_label": STATES[self.states[ch]],
                }
                for ch in CHANNELS
            ],
            "incidents": [i.to_dict() for i in self.incidents],
        }


def unknown_board(now: float) -> StatusBoard:
    """Returns the board of a page that cannot read its facts."""
    return StatusBoard(now, dict.fromkeys(CHANNELS, UNKNOWN), known=False)


def make_board(
    store: IncidentStore, traffic: TrafficLog | None, now: float, *, limit: int = INCIDENT_LIMIT
) -> StatusBoard:
    """Reads the facts once and returns the board (unknown if the incidents do not answer)."""
    try:
        records = store.records(limit=limit)
    except (StoreUnavailableError, SQLAlchemyError) as exc:
        LOG.warning("status.incidents_unreadable", error=type(exc).__name__)
        return unknown_board(now)
    minutes: list[ChannelMinute] | None = None
    if traffic is not None:
        try:
            minutes = traffic.between(now - RECENT_SECONDS - 60, now + 60)
        except SQLAlchemyError as exc:
            LOG.warning("status.traffic_unreadable", error=type(exc).__name__)
    window = Window.ending(now)
    notes = {r.incident.id: r.notes for r in records}
    shown = window.select(r.incident for r in records)
    states = channel_states([i for i in shown if i.is_open], minutes, now)
    public = tuple(public_incident(i, notes[i.id], now) for i in shown)
    return StatusBoard(now, states, public)


@dataclass
class PublicStatus:
    """The board, read at most once per TTL_SECONDS by one thread at a time."""

    store: IncidentStore
    traffic: TrafficLog | None
    now: Callable[[], float]
    ttl: float = TTL_SECONDS
    reads: int = 0  # how many times the facts were read (tests count them)
    _board: StatusBoard | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def board(self) -> StatusBoard:
        """Returns the current board: the kept one while fresh, else read again."""
        now = self.now()
        kept = self._board
        if kept is not None and 0 <= now - kept.generated_at < self.ttl:
            return kept
        # With a board to serve, nobody waits; with none yet (a fresh process), briefly.
        got = self._lock.acquire(timeout=FIRST_WAIT_SECONDS) if kept is None else False
        if not got and not self._lock.acquire(blocking=False):
            if kept is not None and now - kept.generated_at < STALE_SECONDS:
                return kept
            return unknown_board(now)  # a read hangs: an old 정상 would not be the truth
        try:
            kept = self._board
            if kept is not None and 0 <= now - kept.generated_at < self.ttl:
                return kept
            self.reads += 1
            self._board = make_board(self.store, self.traffic, now)
            return self._board
        finally:
            self._lock.release()
