"""Incident records: what failed, how it showed, the cause detected, when, and notes.

Pure: standard library only. Times are wall-clock seconds (``time.time()``) so that a
record written by one process can be compared with a time another process measured.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Cause(StrEnum):
    """The detected cause class of a fault: stable codes that reports and tests match on."""

    PROCESS_EXIT = "process.exit"  # a process of the cluster ended (signal or exit code)
    PROCESS_HUNG = "process.hung"  # a process (or one below a postmaster) is stopped
    HOST_UNREACHABLE = "host.unreachable"  # a database host answers nothing (cut off, no power)
    ROLE_FAILOVER = "role.failover"  # the leader lost its role (Patroni failed it over)
    ROLE_SWITCHOVER = "role.switchover"  # the leader handed its role over, as an operator asked
    REPLICATION_STOPPED = "replication.stopped"  # a replica not streaming
    REPLICATION_LAG = "replication.lag"  # a replica's lag over its bound
    HAPROXY_PATH_DOWN = "haproxy.path_down"  # a load-balancer path does not reach the primary
    ETCD_QUORUM_LOST = "etcd.quorum_lost"  # fewer than a majority of etcd members healthy
    APP_NOT_READY = "app.not_ready"  # an app instance's GET /readyz is not 200
    ARCHIVE_FAILED = "archive.failed"  # the primary's last WAL archiving attempt failed
    BACKUP_FAILED = "backup.failed"  # a scheduled pgBackRest backup failed
    # Seen by the second site's watcher: nothing of the primary site answers while this
    # site still follows it (ends when this site takes writes: promoted).
    SITE_LOST = "site.lost"
    DR_LINK_LOST = "dr.link_lost"  # the link to the primary site is cut while following
    # An app balancer outside the cluster (a kiosk network's, ``edges.py``) has servers
    # its checks are failing or have taken out, or does not answer.
    EDGE_SERVERS_DOWN = "edge.servers_down"
    # Recorded by the releaser itself: a build that failed its canary and was rolled back.
    RELEASE_ROLLED_BACK = "release.rolled_back"


# When several causes appear on one component in the same round, the first of this order
# names the incident (a dead process explains its not being ready, not the other way).
PRIORITY = tuple(Cause)

SYMPTOMS_KO: dict[Cause, str] = {
    Cause.PROCESS_EXIT: "{component} 프로세스가 종료됨",
    Cause.PROCESS_HUNG: "{component} 프로세스가 멈춤 (살아 있으나 응답하지 않음)",
    Cause.HOST_UNREACHABLE: "{component}의 호스트가 네트워크에서 응답하지 않음 (분리 또는 정전)",
    Cause.ROLE_FAILOVER: "{component}이(가) 주 서버 역할을 잃음 (장애 조치)",
    Cause.ROLE_SWITCHOVER: "{component}이(가) 요청대로 주 서버 역할을 넘김 (계획된 전환)",
    Cause.REPLICATION_STOPPED: "{component}의 복제가 스트리밍 중이 아님",
    Cause.REPLICATION_LAG: "{component}의 복제 지연이 한도를 넘음",
    Cause.HAPROXY_PATH_DOWN: "{component} 경로가 주 서버에 닿지 않음",
    Cause.ETCD_QUORUM_LOST: "etcd 과반이 응답하지 않음 (합의 상실)",
    Cause.APP_NOT_READY: "{component}이(가) 준비되지 않음 (/readyz)",
    Cause.ARCHIVE_FAILED: "주 서버의 WAL 보관(archive)이 실패함",
    Cause.BACKUP_FAILED: "예약 백업이 실패함",
    Cause.SITE_LOST: "주 사이트 전체가 응답하지 않음 (이 사이트가 승격되어 쓰기를 받을 때까지)",
    Cause.DR_LINK_LOST: "주 사이트와의 복제 링크가 끊김 (이 사이트가 따라가지 못함)",
    Cause.EDGE_SERVERS_DOWN: "{component} 부하분산기가 점검에 실패한 서버를 뺌 (경로 장애)",
    Cause.RELEASE_ROLLED_BACK: "{component}에 배포한 빌드가 카나리아 검사에서 실패해 되돌려짐",
}


# Recorded, with the issuance gap they cost, but no fault: an operator asked for them.
# Availability reports do not count them as outages (their gap is planned downtime).
PLANNED: frozenset[Cause] = frozenset({Cause.ROLE_SWITCHOVER})


def symptom(component: str, cause: Cause) -> str:
    """Returns how the fault shows, in Korean, for the operator's list."""
    return SYMPTOMS_KO[cause].format(component=component)


class NoteKind(StrEnum):
    """What an operator's note says."""

    ROOT_CAUSE = "root_cause"
    PREVENTION = "prevention"
    COMMENT = "comment"
    PUBLIC = "public"  # a statement for the public status page (/status); the others stay inside


@dataclass(frozen=True)
class Note:
    """One operator's note on an incident: who wrote what, and when."""

    id: str
    incident_id: str
    author: str
    at: float
    kind: NoteKind
    text: str

    @classmethod
    def new(cls, incident_id: str, *, author: str, kind: NoteKind, text: str, at: float) -> Note:
        """Returns a new note with a fresh id."""
        return cls(uuid.uuid4().hex, incident_id, author, at, kind, text)

    def to_dict(self) -> dict[str, Any]:
        """Returns the note as JSON-ready values."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "author": self.author,
            "at": self.at,
            "kind": self.kind.value,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Note:
        """Rebuilds a note written by ``to_dict``."""
        return cls(
            str(raw["id"]),
            str(raw["incident_id"]),
            str(raw["author"]),
            float(raw["at"]),
            NoteKind(raw["kind"]),
            str(raw["text"]),
        )


@dataclass(frozen=True)
class Incident:
    """One fault as the watcher saw it.

    ``ended_at`` is when its cause cleared (the process runs again, the path reaches the
    primary); ``settled_at`` when every symptom it brought on the same component had
    cleared too (e.g. the restarted app answers ``/readyz``): until then the component
    is this incident's, and a new symptom there is one more of this incident's ``also``.
    """

    id: str
    component: str  # postgres:pg1, haproxy:1, app:2, etcd, backup ...
    cause: Cause
    cause_detail: str  # "SIGKILL", "pg1 → pg2, timeline 3 → 4" ...
    symptom: str  # Korean, for the operator
    started_at: float
    ended_at: float | None = None
    settled_at: float | None = None
    issuance_gap_seconds: float | None = None  # None: not measured (no traffic, no metrics)
    also: tuple[str, ...] = ()  # other cause classes seen on the component meanwhile
    updated_at: float = 0.0

    @classmethod
    def open(cls, component: str, cause: Cause, detail: str, *, at: float) -> Incident:
        """Returns a new, open incident."""
        return cls(
            uuid.uuid4().hex, component, cause, detail, symptom(component, cause), at, updated_at=at
        )

    @property
    def duration(self) -> float | None:
        """Returns seconds from start to end; None while the cause lasts."""
        return None if self.ended_at is None else round(self.ended_at - self.started_at, 3)

    @property
    def is_open(self) -> bool:
        """Returns True until every symptom has cleared."""
        return self.settled_at is None

    def but(self, **changes: Any) -> Incident:
        """Returns a copy with `changes`."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Returns the incident as JSON-ready values (duration included)."""
        return {
            "id": self.id,
            "component": self.component,
            "cause": self.cause.value,
            "cause_detail": self.cause_detail,
            "symptom": self.symptom,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "settled_at": self.settled_at,
            "duration_seconds": self.duration,
            "issuance_gap_seconds": self.issuance_gap_seconds,
            "also": list(self.also),
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Incident:
        """Rebuilds an incident written by ``to_dict``."""

        def maybe(key: str) -> float | None:
            value = raw.get(key)
            return None if value is None else float(value)

        return cls(
            id=str(raw["id"]),
            component=str(raw["component"]),
            cause=Cause(raw["cause"]),
            cause_detail=str(raw.get("cause_detail", "")),
            symptom=str(raw.get("symptom", "")),
            started_at=float(raw["started_at"]),
            ended_at=maybe("ended_at"),
            settled_at=maybe("settled_at"),
            issuance_gap_seconds=maybe("issuance_gap_seconds"),
            also=tuple(str(a) for a in raw.get("also", ())),
            updated_at=float(raw.get("updated_at", 0.0)),
        )


@dataclass(frozen=True)
class IncidentRecord:
    """An incident with its notes, as the operator's list shows it."""

    incident: Incident
    notes: tuple[Note, ...] = field(default=())


def iso(at: float | None) -> str:
    """Returns a wall time as ISO 8601 UTC with milliseconds ("" for None)."""
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
