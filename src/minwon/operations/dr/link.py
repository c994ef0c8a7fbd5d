"""How far the second site is behind the primary site: WAL positions, sampled.

Both sites' Patroni REST APIs say where their WAL stands (``GET /patroni``: the primary's
``xlog.location``, a standby's ``received_location`` and ``replayed_location``), without a
password. The second site's supervisor samples both twice a second into
``<site root>/link.json`` (``LinkJournal``); the lag in bytes is the primary's position
minus what this site received, and the lag in seconds is how long ago the primary was last
at a position this site does not have yet (the oldest such sample). When the primary site
stops answering, the journal keeps its last position and the time it was seen: what a
promotion would cost is then known from that, or is unknown if the last sight is too old.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from minwon.operations import plain_http
from minwon.operations.cluster.spec import ClusterSpec

LINK_FILE = "link.json"
HISTORY_SECONDS = 600.0  # samples kept: ten minutes at two a second
PRIMARY_ROLES = frozenset({"primary", "master"})


@dataclass(frozen=True)
class Sample:
    """One look at both sites: wall time, the primary site's position (None: no primary
    answered) and this site's leader's received and replayed positions (None: no
    answer), all in bytes of WAL."""

    at: float
    primary_lsn: int | None
    received_lsn: int | None
    replayed_lsn: int | None
    standby: bool  # this site's leader still follows (not promoted)


@dataclass(frozen=True)
class Lag:
    """What this site lacks of the primary site's WAL, as of `as_of` (wall time).

    `known` is False when no sample saw both sites within `fresh_within` seconds of the
    primary site's last answer; then bytes and seconds are the last known ones (or None).
    """

    known: bool
    bytes: int | None
    seconds: float | None
    as_of: float | None
    primary_seen_at: float | None
    primary_answering: bool


def _get(url: str, timeout: float) -> dict[str, Any] | None:
    try:
        answer = plain_http.get(url, timeout=timeout)
        data = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def primary_position(spec: ClusterSpec, timeout: float = 0.4) -> int | None:
    """Returns the primary site's primary's WAL position, asked of each of its nodes
    (their REST APIs), or None if none answers as the primary."""
    if spec.standby is None:
        return None
    for node in spec.standby.upstream:
        data = _get(f"http://{node.host}:{node.rest_port}/patroni", timeout)
        if data and data.get("role") in PRIMARY_ROLES:
            return _int((data.get("xlog") or {}).get("location"))
    return None


def local_positions(spec: ClusterSpec, timeout: float = 0.4) -> tuple[int | None, int | None, bool]:
    """Returns this site's leader's (received, replayed) WAL positions and whether it
    still follows; for a promoted leader both are its own current position."""
    for node in spec.nodes:
        data = _get(f"{node.rest_url}/patroni", timeout)
        if not data:
            continue
        xlog = data.get("xlog") or {}
        role = data.get("role")
        if role == "standby_leader":
            received = _int(xlog.get("received_location"))
            replayed = _int(xlog.get("replayed_location"))
            return (received if received is not None else replayed), replayed, True
        if role in PRIMARY_ROLES:
            here = _int(xlog.get("location"))
            return here, here, False
    return None, None, True


def sample(spec: ClusterSpec, *, now: float | None = None) -> Sample:
    """Takes one sample of both sites (about 2 REST calls, 0.4 s at most each)."""
    received, replayed, standby = local_positions(spec)
    return Sample(
        at=time.time() if now is None else now,
        primary_lsn=primary_position(spec),
        received_lsn=received,
        replayed_lsn=replayed,
        standby=standby,
    )


def lag(samples: Iterable[Sample], *, now: float, fresh_within: float = 2.0) -> Lag:
    """Returns the lag the samples show at `now` (pure).

    Bytes: the last primary position minus the latest received position. Seconds: `now`
    minus the time of the oldest sample whose primary position is beyond what this site
    has received (0 when it has everything). Known only if the last sample that saw the
    primary also saw this site, and came within `fresh_within` seconds of the primary's
    last answer (the next sample did not see the primary).
    """
    ordered = sorted(samples, key=lambda s: s.at)
    seen = [s for s in ordered if s.primary_lsn is not None]
    received = max((s.received_lsn for s in ordered if s.received_lsn is not None), default=None)
    if not seen:
        return Lag(False, None, None, None, None, False)
    last = seen[-1]
    answering = ordered[-1] is last
    if received is None or last.primary_lsn is None:
        return Lag(False, None, None, last.at, last.at, answering)
    behind = max(0, last.primary_lsn - received)
    oldest = next(
        (s.at for s in seen if s.primary_lsn is not None and s.primary_lsn > received), None
    )
    seconds = 0.0 if behind == 0 or oldest is None else max(0.0, now - oldest)
    after = [s for s in ordered if s.at > last.at]
    known = answering or (after != [] and after[0].at - last.at <= fresh_within)
    return Lag(known, behind, round(seconds, 3), now, last.at, answering)


class LinkJournal:
    """``<site root>/link.json``: the recent samples, replaced atomically on each write."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / LINK_FILE

    def read(self) -> list[Sample]:
        """Returns the samples saved, oldest first (none if the file is missing or bad)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [Sample(**row) for row in raw.get("samples", [])]
        except (OSError, ValueError, TypeError):
            return []

    def append(self, new: Sample, *, keep_seconds: float = HISTORY_SECONDS) -> list[Sample]:
        """Adds `new`, drops samples older than `keep_seconds` but keeps the last one that
        saw the primary (so its last position outlives the history); returns them. The
        supervisor and ``minwon dr`` both append: one at a time, under ``link.lock``."""
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._append(new, keep_seconds)

    def _append(self, new: Sample, keep_seconds: float) -> list[Sample]:
        saved = self.read()
        samples = [s for s in saved if s.at >= new.at - keep_seconds]
        dropped_seen = [
            s for s in saved if s.at < new.at - keep_seconds and s.primary_lsn is not None
        ]
        if dropped_seen and not any(s.primary_lsn is not None for s in samples):
            samples.insert(0, dropped_seen[-1])
        samples.append(new)
        self.write(samples)
        return samples

    def write(self, samples: list[Sample]) -> None:
        """Replaces the file with `samples`."""
        text = json.dumps({"samples": [asdict(s) for s in samples]})
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".link-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)
