"""The client's key journal: a request's idempotency key is on disk before it is sent.

If the kiosk loses power mid-request, the next start finds the unfinished entry and
resends it with the same key, so the citizen is neither charged twice nor left without
the document the server already issued.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class PendingRequest:
    key: str
    body: dict[str, Any]
    created_at: str


class KeyJournal:
    """A small SQLite file with synchronous=FULL: an entry survives a crash once begun."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, body TEXT NOT NULL,"
                " body_hash TEXT NOT NULL, created_at TEXT NOT NULL, number TEXT,"
                " finished_at TEXT)"
            )

    def begin(self, body: dict[str, Any], *, key: str | None = None) -> str:
        """Records a request about to be sent and returns its idempotency key."""
        key = key or f"kc-{uuid.uuid4().hex}"
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO requests (key, body, body_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    key,
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    datetime.now(UTC).isoformat(),
                ),
            )
        return key

    def finish(self, key: str, number: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE requests SET number = ?, finished_at = ? WHERE key = ?",
                (number, datetime.now(UTC).isoformat(), key),
            )

    def pending(self) -> list[PendingRequest]:
        """Returns requests begun but never acknowledged, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, body, created_at FROM requests WHERE finished_at IS NULL"
                " ORDER BY created_at"
            ).fetchall()
        return [PendingRequest(k, json.loads(b), c) for k, b, c in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
