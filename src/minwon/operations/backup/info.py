"""What the repository holds, read from ``pgbackrest info --output=json`` (pure).

Also reads the text report of ``pgbackrest verify --output=text --verbose``: pgBackRest
2.45 exits 0 even when a backup file's checksum is wrong and says so only in that report
(and without ``--verbose`` a clean repository's report is empty), so the report, not the
exit code, decides whether a repository verified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class InfoFormatError(ValueError):
    """The text is not the JSON ``pgbackrest info`` writes."""


@dataclass(frozen=True)
class BackupRecord:
    """One backup in the repository: its label, type, when it ran and how large it is."""

    label: str
    type: str  # full, diff or incr
    started: datetime
    stopped: datetime
    size: int  # the database as restored
    delta: int  # what this backup copied
    repo_size: int  # what it takes in the repository (compressed)
    repo_delta: int
    prior: str | None
    wal_start: str
    wal_stop: str
    error: bool

    @property
    def seconds(self) -> int:
        """Returns how long the backup took."""
        return int((self.stopped - self.started).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """Returns the record as JSON-ready values (``minwon backup list --json``)."""
        return {
            "label": self.label,
            "type": self.type,
            "started": self.started.isoformat(),
            "stopped": self.stopped.isoformat(),
            "seconds": self.seconds,
            "size": self.size,
            "delta": self.delta,
            "repo_size": self.repo_size,
            "repo_delta": self.repo_delta,
            "prior": self.prior,
            "wal_start": self.wal_start,
            "wal_stop": self.wal_stop,
            "error": self.error,
        }


@dataclass(frozen=True)
class StanzaInfo:
    """The stanza's status, its WAL archive's range and its backups, oldest first."""

    name: str
    status_code: int
    status_message: str
    wal_min: str | None
    wal_max: str | None
    backups: tuple[BackupRecord, ...]
    backup_running: bool = False  # pgBackRest holds its backup lock: one is under way

    @property
    def ok(self) -> bool:
        """Returns True when pgBackRest reports the stanza healthy (code 0)."""
        return self.status_code == 0

    def latest(self, *types: str) -> BackupRecord | None:
        """Returns the newest backup of one of `types` (any type when none is named)."""
        found = [b for b in self.backups if not types or b.type in types]
        return found[-1] if found else None


def _when(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def _backup(raw: dict[str, Any]) -> BackupRecord:
    info, archive = raw["info"], raw.get("archive") or {}
    return BackupRecord(
        label=str(raw["label"]),
        type=str(raw["type"]),
        started=_when(raw["timestamp"]["start"]),
        stopped=_when(raw["timestamp"]["stop"]),
        size=int(info["size"]),
        delta=int(info["delta"]),
        repo_size=int(info["repository"]["size"]),
        repo_delta=int(info["repository"]["delta"]),
        prior=raw.get("prior"),
        wal_start=str(archive.get("start") or ""),
        wal_stop=str(archive.get("stop") or ""),
        error=bool(raw.get("error", False)),
    )


def parse_info(text: str, stanza: str) -> StanzaInfo:
    """Returns `stanza` from ``pgbackrest info --output=json``; InfoFormatError if the
    text is not that JSON or has no such stanza."""
    try:
        stanzas = json.loads(text)
        raw = next(s for s in stanzas if s.get("name") == stanza)
        archives = raw.get("archive") or []
        # The newest database (after a stanza-upgrade, several) holds the current WAL.
        wal = archives[-1] if archives else {}
        return StanzaInfo(
            name=stanza,
            status_code=int(raw["status"]["code"]),
            status_message=str(raw["status"]["message"]),
            wal_min=wal.get("min"),
            wal_max=wal.get("max"),
            backups=tuple(
                sorted((_backup(b) for b in raw.get("backup") or []), key=lambda b: b.started)
            ),
            backup_running=bool(
                ((raw["status"].get("lock") or {}).get("backup") or {}).get("held", False)
            ),
        )
    except StopIteration:
        raise InfoFormatError(f"no stanza {stanza!r} in pgbackrest info") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InfoFormatError(f"unreadable pgbackrest info: {exc}") from exc


@dataclass(frozen=True)
class VerifyReport:
    """What ``pgbackrest verify --output=text --verbose`` said: its overall status and,
    for each WAL archive or backup with a bad file, what was wrong with it."""

    ok: bool
    status: str  # "ok", "error", or "" when the report has no status line
    problems: tuple[str, ...]
    text: str


def _nonzero_counts(line: str) -> list[str]:
    """Returns ``checksum invalid: 1`` parts of a counts line whose number is not 0."""
    found = []
    for part in line.split(","):
        name, _, number = part.strip().rpartition(":")
        if name and number.strip().isdigit() and int(number) != 0:
            found.append(f"{name.strip()} {int(number)}")
    return found


def parse_verify(text: str) -> VerifyReport:
    """Returns the report of ``pgbackrest verify --output=text --verbose``: a
    ``status: ok|error`` line, then per WAL archive (``archiveId: ...``) and per backup
    (``backup: LABEL, status: valid|invalid, ...``) a line of counts (``missing: 0,
    checksum invalid: 1, ...``). Only a report that says ``ok`` and counts nothing
    wrong is ok: an empty one is not."""
    status = ""
    wrong: dict[str, list[str]] = {}  # "backup 20261203-205148F" -> what was wrong
    header = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("status:"):
            status = line.partition(":")[2].strip()
        elif line.startswith(("archiveId:", "backup:")):
            header = line.split(",", 1)[0].replace(":", "", 1)
            if "status: invalid" in line:
                wrong.setdefault(header, [])
        elif header and ":" in line:
            bad = _nonzero_counts(line)
            if bad:
                wrong.setdefault(header, []).extend(bad)
    problems = [f"{name}: {', '.join(bad) or 'invalid'}" for name, bad in wrong.items()]
    ok = status == "ok" and not problems
    return VerifyReport(ok=ok, status=status, problems=tuple(problems), text=text)


def human_size(size: int) -> str:
    """Returns `size` in bytes as a person reads it: ``4.3 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
