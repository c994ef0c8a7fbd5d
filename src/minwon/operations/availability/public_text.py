"""What the public status page says about an incident, in plain Korean (pure).

Each cause class has public wording here (``PUBLIC_CAUSES``: a stable public code, a
title and the reason clause a sentence starts with); a new ``Cause`` without one fails
its test. The text names no component, host, port, address or process: only what a
citizen meets (the database, a server, a connection path) and what it did to them. Times
are KST. Operator notes stay inside except those of kind ``public`` (``minwon ops note
--public``), the operator's statement to the public: shown verbatim (escaped by the
page), oldest first, without their author, with anything shaped like a resident
registration number masked.

Channels affected: every channel runs on the same app instances and database, so an
incident the public felt (``outage``/``degraded``) lists all four; one with no public
impact lists none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from minwon.clock import KST
from minwon.operations.availability.status import (
    CHANNEL_NAMES,
    DEGRADED,
    IMPACTS,
    NONE,
    OUTAGE,
    impact_of,
    public_end,
)
from minwon.operations.availability.traffic import CHANNELS
from minwon.operations.incidents.model import Cause, Incident, Note, NoteKind


@dataclass(frozen=True)
class PublicCause:
    """How the public page names a cause class."""

    code: str  # stable, public; not the internal cause code (that names products)
    title: str
    reason: str  # "… 장애로": the clause a sentence about its effect starts with


PUBLIC_CAUSES: dict[Cause, PublicCause] = {
    Cause.PROCESS_EXIT: PublicCause(
        "server.stopped", "서버 프로그램 중단", "서버 프로그램이 예기치 않게 멈추어"
    ),
    Cause.PROCESS_HUNG: PublicCause(
        "server.hung", "서버 프로그램 멈춤", "서버 프로그램 일부가 멈추어"
    ),
    Cause.HOST_UNREACHABLE: PublicCause(
        "network.server_unreachable",
        "서버 네트워크 장애",
        "데이터베이스 서버 한 대의 네트워크가 끊어져",
    ),
    Cause.ROLE_SWITCHOVER: PublicCause(
        "database.planned_switch",
        "계획된 데이터베이스 서버 전환",
        "계획된 데이터베이스 서버 전환으로",
    ),
    Cause.ROLE_FAILOVER: PublicCause(
        "database.failover", "데이터베이스 서버 장애", "데이터베이스 서버 장애로"
    ),
    Cause.REPLICATION_STOPPED: PublicCause(
        "database.copy_stopped", "예비 데이터베이스 복제 중단", "예비 데이터베이스의 복제가 멈추어"
    ),
    Cause.REPLICATION_LAG: PublicCause(
        "database.copy_late", "예비 데이터베이스 복제 지연", "예비 데이터베이스의 복제가 늦어져"
    ),
    Cause.HAPROXY_PATH_DOWN: PublicCause(
        "network.path_down", "접속 경로 장애", "서버 접속 경로 일부에 장애가 생겨"
    ),
    Cause.ETCD_QUORUM_LOST: PublicCause(
        "coordination.lost",
        "서버 운영 조정 장치 장애",
        "서버들의 역할을 조정하는 장치에 장애가 생겨",
    ),
    Cause.APP_NOT_READY: PublicCause(
        "server.not_responding", "민원 서버 일부 응답 없음", "민원 서버 일부가 응답하지 않아"
    ),
    Cause.ARCHIVE_FAILED: PublicCause(
        "records.archive_failed", "데이터 변경 기록 보관 실패", "데이터 변경 기록의 보관이 실패하여"
    ),
    Cause.BACKUP_FAILED: PublicCause(
        "records.backup_failed", "정기 백업 실패", "정기 백업이 실패하여"
    ),
    Cause.SITE_LOST: PublicCause(
        "datacenter.lost", "주 전산센터 장애", "주 전산센터 전체에 장애가 생겨"
    ),
    Cause.DR_LINK_LOST: PublicCause(
        "datacenter.link_down",
        "재해복구센터 연결 장애",
        "재해복구센터로 데이터를 복제하는 연결이 끊어져",
    ),
    Cause.EDGE_SERVERS_DOWN: PublicCause(
        "network.branch_path_down",
        "현장 접속 경로 장애",
        "무인민원발급기 등 현장에서 서버로 가는 통신 경로 일부에 장애가 생겨",
    ),
    Cause.RELEASE_ROLLED_BACK: PublicCause(
        "software.rolled_back",
        "새 버전 배포 되돌림",
        "새로 배포한 프로그램에 문제가 있어",
    ),
}

_RRN = re.compile(r"(?<!\d)(\d{6})\s*-?\s*([1-8])\d{6}(?!\d)")


def mask_rrns(text: str) -> str:
    """Returns `text` with anything shaped like a resident registration number masked."""
    return _RRN.sub("******-*******", text)


def kst(at: float) -> str:
    """Returns a wall time as the page shows it: ``2026-12-04 12:31:05``, KST."""
    return datetime.fromtimestamp(at, UTC).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")


def kst_iso(at: float | None) -> str | None:
    """Returns a wall time as ISO 8601 with the +09:00 offset (None for None)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).astimezone(KST).isoformat(timespec="seconds")


def span(seconds: float) -> str:
    """Returns a duration in words: ``37초``, ``4분 10초``, ``2시간 5분``, ``3일 4시간``."""
    s = max(1, round(seconds))
    if s < 60:
        return f"{s}초"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m}분 {r}초" if r else f"{m}분"
    if s < 86_400:
        h, r = divmod(s, 3600)
        return f"{h}시간 {r // 60}분" if r // 60 else f"{h}시간"
    d, r = divmod(s, 86_400)
    return f"{d}일 {r // 3600}시간" if r // 3600 else f"{d}일"


def _recovered(incident: Incident) -> str:
    if incident.cause is Cause.ROLE_FAILOVER:
        return "예비 서버로 자동 전환되어 복구되었습니다."
    if incident.cause is Cause.SITE_LOST:
        return "재해복구센터로 전환되어 복구되었습니다."
    if incident.cause is Cause.RELEASE_ROLLED_BACK:
        return "이전 버전으로 자동으로 되돌려 복구되었습니다."
    return "복구되었습니다."


def summary(incident: Incident, impact: str, now: float) -> str:
    """Returns the incident's public sentence(s), for its impact and whether it lasts."""
    cause = PUBLIC_CAUSES[incident.cause]
    end = public_end(incident)
    lasted = span((end if end is not None else now) - incident.started_at)
    gap = incident.issuance_gap_seconds
    if impact == OUTAGE:
        if end is None:
            return f"{cause.reason} 현재 민원 서비스 이용이 중단되어 있습니다. 복구 중입니다."
        if gap is not None and gap >= 1:
            stopped = f"증명서 발급이 약 {span(gap)} 동안 중단되었습니다."
        else:
            stopped = f"민원 서비스 이용이 약 {lasted} 동안 중단되었습니다."
        return f"{cause.reason} {stopped} {_recovered(incident)}"
    if impact == DEGRADED:
        if end is None:
            return f"{cause.reason} 현재 일부 요청이 실패하거나 늦어질 수 있습니다. 복구 중입니다."
        stalled = f" 증명서 발급은 약 {span(gap)} 동안 멈추었습니다." if gap and gap >= 1 else ""
        return (
            f"{cause.reason} 약 {lasted} 동안 일부 요청이 실패하거나 늦어졌을 수 있습니다."
            f"{stalled} {_recovered(incident)}"
        )
    if end is None:
        return f"{cause.title}: 복구 중입니다. 민원 서비스 이용에는 영향이 없습니다."
    return f"{cause.title} (약 {lasted}). 민원 서비스 이용에는 영향이 없었습니다."


@dataclass(frozen=True)
class PublicIncident:
    """One incident as the public sees it: no component, detail, note author or inside note."""

    ref: str  # the first 8 characters of the incident's random id: to ask the city about it
    impact: str  # outage, degraded, none
    code: str  # PUBLIC_CAUSES code
    title: str
    started_at: float
    ended_at: float | None
    interruption_seconds: float | None
    channels: tuple[str, ...]
    text: str
    statements: tuple[tuple[float, str], ...]  # (when, the operator's public statement)

    @property
    def ongoing(self) -> bool:
        """Returns True while the incident lasts."""
        return self.ended_at is None

    def to_dict(self) -> dict[str, Any]:
        """Returns the incident as /status.json shows it (stable keys and codes)."""
        return {
            "ref": self.ref,
            "impact": self.impact,
            "impact_label": IMPACTS[self.impact],
            "cause": self.code,
            "title": self.title,
            "started_at": kst_iso(self.started_at),
            "ended_at": kst_iso(self.ended_at),
            "ongoing": self.ongoing,
            "duration_seconds": (
                None if self.ended_at is None else round(self.ended_at - self.started_at)
            ),
            "interruption_seconds": (
                None if self.interruption_seconds is None else round(self.interruption_seconds)
            ),
            "channels": list(self.channels),
            "text": self.text,
            "statements": [{"at": kst_iso(at), "text": text} for at, text in self.statements],
        }

    @property
    def channel_names(self) -> str:
        """Returns the channels affected in Korean ("" for none)."""
        return ", ".join(CHANNEL_NAMES[c] for c in self.channels)


def public_incident(incident: Incident, notes: Sequence[Note], now: float) -> PublicIncident:
    """Returns the public view of `incident` and its operators' notes."""
    impact = impact_of(incident)
    statements = tuple(
        (n.at, mask_rrns(n.text.strip()))
        for n in sorted(notes, key=lambda n: n.at)
        if n.kind is NoteKind.PUBLIC and n.text.strip()
    )
    cause = PUBLIC_CAUSES[incident.cause]
    return PublicIncident(
        ref=incident.id[:8],
        impact=impact,
        code=cause.code,
        title=cause.title,
        started_at=incident.started_at,
        ended_at=public_end(incident),
        interruption_seconds=incident.issuance_gap_seconds if impact != NONE else None,
        channels=CHANNELS if impact != NONE else (),
        text=summary(incident, impact, now),
        statements=statements,
    )
