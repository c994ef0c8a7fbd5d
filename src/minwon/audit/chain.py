"""The audit trail as a hash chain: each event's hash covers its content and the previous
hash, so an edited, deleted, inserted or reordered row breaks every link after it.

A chain alone can be rewritten whole by someone who can write the database; signed
checkpoints (audit/checkpoints.py) pin the chain's hash at a sequence number with a key
the database does not hold, so a rewrite before the last checkpoint shows too.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from minwon.audit.model import AuditEvent

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    """An event as stored: its place in the chain and the hashes linking it."""

    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


def _content(seq: int, event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": event.id,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "outcome": event.outcome,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "channel": event.channel,
        "office_code": event.office_code,
        "subject_ref": event.subject_ref,
        "document_type": event.document_type,
        "purpose": event.purpose,
        "issuance_id": event.issuance_id,
        "detail": dict(event.detail),
    }


def link(prev_hash: str, seq: int, event: AuditEvent) -> str:
    """Returns the hash of ``event`` at ``seq`` following ``prev_hash``."""
    canonical = json.dumps(
        _content(seq, event), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first place the chain does not hold; ``kind`` is a stable code."""

    seq: int
    event_id: str | None
    kind: str  # audit.edited | audit.missing | audit.relinked | audit.checkpoint
    detail_ko: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: at ``seq`` the chain's hash was ``hash``."""

    seq: int
    hash: str
    at: str
    kid: str
    signature: str


def first_break(
    rows: Iterable[ChainedEvent], checkpoints: dict[int, Checkpoint]
) -> tuple[int, ChainBreak | None]:
    """Walks the chain in sequence order; returns how many events held and the first
    break (None when the whole chain holds and matches every checkpoint it reaches).

    Checkpoint signatures are checked by the caller; here a checkpoint is the hash the
    chain must have had at its sequence number.
    """
    expected_seq, prev = 1, GENESIS
    count = 0
    for row in rows:
        if row.seq != expected_seq:
            return count, ChainBreak(
                expected_seq,
                None,
                "audit.missing",
                f"{expected_seq}번 기록이 없습니다 (다음 기록은 {row.seq}번): 삭제되었습니다.",
            )
        if row.prev_hash != prev:
            return count, ChainBreak(
                row.seq,
                row.event.id,
                "audit.relinked",
                f"{row.seq}번 기록이 앞 기록과 이어지지 않습니다: 순서가 바뀌었거나 끼워 "
                "넣었습니다.",
            )
        if link(prev, row.seq, row.event) != row.hash:
            return count, ChainBreak(
                row.seq, row.event.id, "audit.edited", f"{row.seq}번 기록의 내용이 바뀌었습니다."
            )
        pinned = checkpoints.get(row.seq)
        if pinned is not None and pinned.hash != row.hash:
            return count, ChainBreak(
                row.seq,
                row.event.id,
                "audit.checkpoint",
                f"{row.seq}번까지의 기록이 서명된 검증점과 다릅니다: 통째로 다시 쓰였습니다.",
            )
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    beyond = [seq for seq in checkpoints if seq >= expected_seq]
    if beyond:
        return count, ChainBreak(
            min(beyond),
            None,
            "audit.missing",
            f"서명된 검증점은 {min(beyond)}번까지 있는데 기록은 {expected_seq - 1}번에서 "
            "끝납니다: 뒤쪽 기록이 삭제되었습니다.",
        )
    return count, None
