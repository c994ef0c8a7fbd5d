"""The mark a fenced site carries in its launcher folder: ``fenced.json``.

``minwon dr promote`` fences the primary site before promoting the second one; from then
on nothing may start that site's parts as they were (its Patroni would take its old
leader role back: a second primary). ``launch`` (the launcher and the supervisor) and
``up`` refuse while the mark is there; ``minwon dr rejoin`` removes it once the site
follows the new primary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from minwon.operations.cluster.errors import ClusterError

FENCE_FILE = "fenced.json"


def fence_mark(root: Path) -> dict[str, Any] | None:
    """Returns the fence mark of the site in `root` (who fenced it, when, why), if any."""
    try:
        data = json.loads((Path(root) / FENCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def mark(root: Path, *, by: str, reason: str) -> None:
    """Marks the site in `root` fenced: its launcher starts nothing until it rejoins."""
    record = {"by": by, "reason": reason, "at": time.time()}
    (Path(root) / FENCE_FILE).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def clear(root: Path) -> None:
    """Removes the fence mark (``minwon dr rejoin``, once the site follows again)."""
    (Path(root) / FENCE_FILE).unlink(missing_ok=True)


def refuse_if_fenced(root: Path) -> None:
    """Raises ClusterError if the site in `root` is fenced: starting any part of it could
    make a second primary."""
    record = fence_mark(root)
    if record is not None:
        raise ClusterError(
            f"이 사이트({root})는 재해복구 승격으로 격리되었습니다 ({record.get('reason')}). "
            "다시 주 사이트로 띄우지 않습니다: `minwon dr rejoin`으로 새 주 사이트의 대기 "
            "사이트가 되게 하십시오."
        )
