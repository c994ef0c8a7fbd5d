"""Failover rehearsal records: a fault scenario's JSON (``operations/scenarios/record``),
one file each, in the folders the operator keeps them in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from minwon.operations.inspection.ports import RehearsalRecord


def parse_rehearsal(text: str, source: str) -> RehearsalRecord | None:
    """Returns the record in `text`, or None if it is not a scenario record."""
    try:
        data = json.loads(text)
        started = datetime.fromisoformat(str(data["started_at"]).replace("Z", "+00:00"))
        return RehearsalRecord(
            fault=str(data["fault"]),
            started_at=started if started.tzinfo else started.replace(tzinfo=UTC),
            healed=bool(data["healed"]),
            lost=int(data.get("lost", 0)),
            duplicated=int(data.get("duplicated", 0)),
            source=source,
        )
    except (ValueError, KeyError, TypeError):
        return None


def read_rehearsals(folders: Sequence[Path]) -> tuple[RehearsalRecord, ...] | None:
    """Returns every record in `folders` (None when no folder is given: nothing is kept
    anywhere, which is not the same as an empty record)."""
    if not folders:
        return None
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            record = parse_rehearsal(path.read_text(encoding="utf-8"), str(path))
            if record is not None:
                found.append(record)
    return tuple(found)
