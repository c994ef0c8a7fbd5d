"""The public status rules and wording: states from synthetic incidents and minutes, a
public sentence for every cause, nothing internal in it, and a board read once per TTL."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minwon.cli import ops
from minwon.operations.availability.board import PublicStatus, make_board
from minwon.operations.availability.public_text import (
    PUBLIC_CAUSES,
    mask_rrns,
    public_incident,
    span,
)
from minwon.operations.availability.status import (
    DEGRADED,
    HISTORY_DAYS,
    NONE,
    OPERATIONAL,
    OUTAGE,
    UNKNOWN,
    channel_states,
    impact_of,
)
from minwon.operations.availability.traffic import CHANNELS, ChannelMinute, MemoryTrafficLog
from minwon.operations.incidents.model import Cause, Incident, IncidentRecord, Note, NoteKind
from minwon.operations.incidents.store import MemoryIncidents

NOW = 1_796_083_200.0  # 2026-12-01 00:00 UTC = 09:00 KST
INTERNAL = re.compile(r"postgres|patroni|haproxy|etcd|app:|pg\d|:\d{2,5}\b|pid|\d+\.\d+\.\d+\.\d+")


def incident(
    cause: Cause, component: str = "postgres:pg1", *, at: float = NOW - 120, **changes: object
) -> Incident:
    return Incident.open(component, cause, "pid 4242 on 10.0.0.7:5432", at=at).but(**changes)


def closed(cause: Cause, component: str = "postgres:pg1", **changes: object) -> Incident:
    return incident(cause, component, ended_at=NOW - 90, settled_at=NOW - 83, **changes)


def minutes(channel: str, ok: int, failed: int, *, ago: float = 60) -> ChannelMinute:
    return ChannelMinute("app:1", NOW - ago, channel, ok=ok, failed=failed)


@pytest.mark.parametrize(
    ("open_incident", "expected"),
    [
        (incident(Cause.ROLE_FAILOVER), OUTAGE),
        (incident(Cause.ETCD_QUORUM_LOST, "etcd"), OUTAGE),
        (incident(Cause.PROCESS_EXIT, also=("role.failover",)), OUTAGE),  # the leader died
        (incident(Cause.APP_NOT_READY, "app:2"), DEGRADED),
        (incident(Cause.PROCESS_EXIT, "haproxy:1"), DEGRADED),
        (incident(Cause.PROCESS_EXIT, "postgres:pg3"), OPERATIONAL),  # a replica
        (incident(Cause.PROCESS_EXIT, "postgres:pg3", also=("app.not_ready@app:1",)), DEGRADED),
        (incident(Cause.REPLICATION_STOPPED), OPERATIONAL),
        (incident(Cause.REPLICATION_LAG), OPERATIONAL),
        (incident(Cause.BACKUP_FAILED, "backup"), OPERATIONAL),
    ],
    ids=lambda v: v.cause.value + "@" + v.component if isinstance(v, Incident) else v,
)
def test_an_open_incident_sets_every_channel_by_its_impact(
    open_incident: Incident, expected: str
) -> None:
    assert channel_states([open_incident], [], NOW) == dict.fromkeys(CHANNELS, expected)


def test_a_measured_issuance_gap_is_an_outage_whatever_the_cause() -> None:
    assert impact_of(closed(Cause.REPLICATION_LAG, issuance_gap_seconds=9.0)) == NONE
    assert impact_of(closed(Cause.REPLICATION_LAG, issuance_gap_seconds=12.0)) == OUTAGE


def test_a_channels_own_failures_make_it_worse_and_too_few_requests_say_nothing() -> None:
    traffic = [
        minutes("online", 90, 10),  # 10 % failed
        minutes("kiosk", 1, 99, ago=120),  # nearly everything failed
        minutes("counter", 0, 9),  # 9 requests: too few to judge
        minutes("verification", 100, 100, ago=600),  # ten minutes ago: not now
    ]
    states = channel_states([], traffic, NOW)
    assert states == {
        "online": DEGRADED,
        "kiosk": OUTAGE,
        "counter": OPERATIONAL,
        "verification": OPERATIONAL,
    }
    # An open outage is not made better by good traffic.
    good = [minutes(ch, 100, 0) for ch in CHANNELS]
    assert set(channel_states([incident(Cause.ROLE_FAILOVER)], good, NOW).values()) == {OUTAGE}


@pytest.mark.parametrize("cause", list(Cause), ids=str)
def test_every_cause_has_public_wording_without_internals(cause: Cause) -> None:
    assert cause in PUBLIC_CAUSES, f"{cause} has no public wording (public_text.PUBLIC_CAUSES)"
    for happened in (
        incident(cause, "app:2"),
        closed(cause, "app:2"),
        closed(cause, "postgres:pg1", issuance_gap_seconds=37.2),
    ):
        shown = public_incident(happened, [], NOW)
        text = shown.text + shown.title + shown.code
        assert re.search(r"[가-힣]", shown.text), text
        assert not INTERNAL.search(text), text
        assert cause.value not in text  # the internal code names products
        assert ("복구 중" in shown.text) == happened.is_open


def test_the_wording_says_what_the_public_felt_how_long() -> None:
    failover = public_incident(closed(Cause.ROLE_FAILOVER, issuance_gap_seconds=37.2), [], NOW)
    assert failover.text == (
        "데이터베이스 서버 장애로 증명서 발급이 약 37초 동안 중단되었습니다. "
        "예비 서버로 자동 전환되어 복구되었습니다."
    )
    assert failover.impact == OUTAGE and failover.channels == CHANNELS
    quiet = public_incident(closed(Cause.REPLICATION_STOPPED), [], NOW)
    assert quiet.impact == NONE and quiet.channels == ()
    assert "영향이 없었습니다" in quiet.text and "37초" in quiet.text
    assert [span(s) for s in (0.2, 59.6, 250, 3600, 90_000)] == [
        "1초",
        "1분",
        "4분 10초",
        "1시간",
        "1일 1시간",
    ]


def test_only_public_notes_are_shown_without_author_and_with_rrns_masked() -> None:
    happened = closed(Cause.ROLE_FAILOVER)
    notes = [
        Note.new(happened.id, author="김운영", kind=kind, text=text, at=NOW - 10)
        for kind, text in (
            (NoteKind.ROOT_CAUSE, "pg1 디스크 고장"),
            (NoteKind.PREVENTION, "db-host-3 교체"),
            (NoteKind.PUBLIC, "문의: 900101-1234567 님 건 처리 완료. 불편을 드려 죄송합니다."),
        )
    ]
    shown = public_incident(happened, notes, NOW)
    assert [text for _, text in shown.statements] == [
        "문의: ******-******* 님 건 처리 완료. 불편을 드려 죄송합니다."
    ]
    assert "김운영" not in str(shown.to_dict())
    assert mask_rrns("9001011234567 and 900101 - 2234567") == "******-******* and ******-*******"


def test_the_history_keeps_90_days_and_anything_still_open() -> None:
    store = MemoryIncidents()
    old = closed(Cause.ROLE_FAILOVER).but(started_at=NOW - (HISTORY_DAYS + 1) * 86_400)
    old_open = incident(Cause.APP_NOT_READY, "app:1", at=NOW - (HISTORY_DAYS + 5) * 86_400)
    recent = closed(Cause.BACKUP_FAILED, "backup")
    store.save([old, old_open, recent])
    board = make_board(store, MemoryTrafficLog(), NOW)
    assert [i.ref for i in board.incidents] == [recent.id[:8], old_open.id[:8]]
    assert board.state == DEGRADED  # the old one is still open


def test_the_board_is_read_once_per_ttl_and_unknown_when_the_store_fails() -> None:
    store = MemoryIncidents()
    store.save([incident(Cause.ROLE_FAILOVER)])
    clock = [NOW]
    status = PublicStatus(store, None, now=lambda: clock[0])
    assert status.board().state == OUTAGE
    store.down = True
    for _ in range(50):
        assert status.board().state == OUTAGE  # kept: the store is not asked again
    assert status.reads == 1
    clock[0] += 5.0
    board = status.board()
    assert (board.state, board.known, board.incidents) == (UNKNOWN, False, ())
    assert status.reads == 2
    clock[0] += 1.0
    status.board()
    assert status.reads == 2  # a failed read is kept as long


def test_ops_note_takes_a_public_statement(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "400"}
    where = ["--by", "홍길동", "--root", str(tmp_path)]
    alone = runner.invoke(ops.app, ["note", "abc", *where], env=env)
    assert alone.exit_code == 2 and "--public" in alone.output
    # With a statement, the note gets as far as looking for the cluster (there is none).
    result = runner.invoke(ops.app, ["note", "abc", "--public", "복구되었습니다", *where], env=env)
    assert result.exit_code == 2 and "클러스터 상태가 없습니다" in result.output, result.output


class GatedIncidents(MemoryIncidents):
    """A store whose reads wait for the test to open the gate: a slow database."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def records(self, *, limit: int = 100, open_only: bool = False) -> list[IncidentRecord]:
        self.gate.wait(10)
        return super().records(limit=limit, open_only=open_only)


def test_while_one_visitor_waits_on_a_slow_read_the_others_get_the_kept_board() -> None:
    store = GatedIncidents()
    store.save([incident(Cause.ROLE_FAILOVER)])
    clock = [NOW]
    status = PublicStatus(store, None, now=lambda: clock[0])
    store.gate.set()
    assert status.board().state == OUTAGE
    store.gate.clear()
    clock[0] += 6.0
    slow = threading.Thread(target=status.board)
    slow.start()
    while status.reads < 2:
        time.sleep(0.01)
    started = time.monotonic()
    states = [status.board().state for _ in range(100)]
    assert time.monotonic() - started < 1.0  # nobody queued behind the slow read
    assert set(states) == {OUTAGE} and status.reads == 2
    clock[0] += 30.0  # the read still hangs: the kept board is too old to be the truth
    assert status.board().state == UNKNOWN and status.reads == 2
    store.gate.set()
    slow.join(5)
