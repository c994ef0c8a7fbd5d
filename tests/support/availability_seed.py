"""A month of incidents and traffic minutes in a real database, with the figures the
availability report must show for them (worked out by hand in the comments)."""

from __future__ import annotations

from sqlalchemy import Engine

from minwon.operations.availability.period import month
from minwon.operations.availability.sql import SqlTrafficLog
from minwon.operations.availability.traffic import ChannelMinute
from minwon.operations.incidents.model import Cause, Incident, Note, NoteKind
from minwon.operations.incidents.store import SqlIncidents

NOV = month("2026-11")
S = NOV.start
DAY = 86_400.0
ROOT_CAUSE = "pg1 전원 공급 장치 불량"
PREVENTION = "이중 전원 장치로 교체"
# 12.5 s (measured issuance gap) + 600 s (etcd quorum lost, unmeasured) = 612.5 s of the
# month's 2,592,000 s: (2592000 − 612.5) / 2592000 = 99.9764 %; budget 1296 s, 683.5 left.
EXPECTED = {
    "availability": "99.9764 %",
    "outage": "10분 12초",
    "allowed": "21분 36초",
    "remaining": "11분 24초",
    "counter_volume": "40",
    "kiosk_success": "95.000 %",
    "verification_p99": "> 5 s",
}


def hist(*counts: int) -> tuple[int, ...]:
    return tuple(counts) + (0,) * (11 - len(counts))


def seed(engine: Engine, *, open_since: float | None = None) -> list[Incident]:
    """Stores the month's incidents (and one still open since `open_since`) and minutes."""
    kill = Incident.open("postgres:pg1", Cause.PROCESS_EXIT, "SIGKILL", at=S + 3 * DAY).but(
        ended_at=S + 3 * DAY + 20, settled_at=S + 3 * DAY + 40, issuance_gap_seconds=12.5
    )
    quorum = Incident.open("etcd", Cause.ETCD_QUORUM_LOST, "1/3 healthy", at=S + 10 * DAY).but(
        ended_at=S + 10 * DAY + 600, settled_at=S + 10 * DAY + 700
    )
    incidents = [kill, quorum]
    if open_since is not None:
        incidents.append(Incident.open("app:2", Cause.APP_NOT_READY, "503", at=open_since))
    store = SqlIncidents(engine)
    store.save(incidents)
    store.add_notes(
        [
            Note.new(kill.id, author="김운영", kind=NoteKind.ROOT_CAUSE, text=ROOT_CAUSE, at=S),
            Note.new(kill.id, author="김운영", kind=NoteKind.PREVENTION, text=PREVENTION, at=S),
        ]
    )
    SqlTrafficLog(engine).record(
        [
            ChannelMinute("app:1", S + 60, "counter", ok=40, issued=40, latency=hist(0, 40)),
            ChannelMinute("app:1", S + 60, "kiosk", ok=10, failed=1, issued=5, latency=hist(11)),
            ChannelMinute("app:2", S + 120, "kiosk", ok=9, issued=5, latency=hist(9)),
            ChannelMinute("app:2", S + 120, "online", ok=10, issued=10, latency=hist(0, 0, 10)),
            ChannelMinute(
                "app:1",
                S + DAY,
                "verification",
                ok=8,
                latency=hist(7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
            ),
        ]
    )
    return incidents
