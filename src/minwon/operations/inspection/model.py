"""Preventive inspection (예방점검): grades, one check's result, thresholds, the report.

Pure: standard library only. A check turns what an adapter measured into a
``CheckResult`` graded 정상 / 주의 / 위험, or 미구성 when the part it inspects is not
built or not set up here (never 정상 for something nobody looked at). The thresholds
are configuration with defaults (``Thresholds``); ``minwon inspect --thresholds F.json``
overrides any of them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class Grade(StrEnum):
    """How a check came out; ordered by severity (``SEVERITY``)."""

    OK = "ok"  # 정상
    WARN = "warn"  # 주의: act soon
    CRITICAL = "critical"  # 위험: act now
    NOT_CONFIGURED = "not_configured"  # 미구성: nothing here to inspect (yet)

    @property
    def ko(self) -> str:
        """Returns the Korean word a report prints."""
        return KOREAN[self]


KOREAN = {
    Grade.OK: "정상",
    Grade.WARN: "주의",
    Grade.CRITICAL: "위험",
    Grade.NOT_CONFIGURED: "미구성",
}
SEVERITY = {Grade.OK: 0, Grade.NOT_CONFIGURED: 0, Grade.WARN: 1, Grade.CRITICAL: 2}

# `minwon inspect` exit codes: 0 all 정상 (미구성 allowed), 1 any 주의, 2 any 위험, and 4
# when there was nothing to inspect at all (no cluster at --root).
EXIT_CODES = {Grade.OK: 0, Grade.NOT_CONFIGURED: 0, Grade.WARN: 1, Grade.CRITICAL: 2}
EXIT_NOT_INSPECTED = 4


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: a stable id (``cluster.sync_standby``), a Korean title, the
    grade, why (Korean), what to do (Korean, empty when nothing), what was measured."""

    id: str
    title: str
    grade: Grade
    reason: str
    action: str = ""
    measured: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Returns the result as JSON-ready values (``grade``: the machine code)."""
        data = asdict(self)
        data.update(grade=self.grade.value, grade_ko=self.grade.ko)
        return data


def ok(id: str, title: str, reason: str, **measured: Any) -> CheckResult:
    """Returns a 정상 result."""
    return CheckResult(id, title, Grade.OK, reason, "", dict(measured))


def warn(id: str, title: str, reason: str, action: str, **measured: Any) -> CheckResult:
    """Returns a 주의 result."""
    return CheckResult(id, title, Grade.WARN, reason, action, dict(measured))


def critical(id: str, title: str, reason: str, action: str, **measured: Any) -> CheckResult:
    """Returns a 위험 result."""
    return CheckResult(id, title, Grade.CRITICAL, reason, action, dict(measured))


def not_configured(id: str, title: str, reason: str, action: str = "") -> CheckResult:
    """Returns a 미구성 result: nothing here to inspect, said why."""
    return CheckResult(id, title, Grade.NOT_CONFIGURED, reason, action, {})


def graded(
    value: float, *, warn_at: float, critical_at: float, higher_is_worse: bool = True
) -> Grade:
    """Returns the grade of `value` against two limits (``>`` for worse-when-higher,
    ``<`` for worse-when-lower, e.g. free space)."""
    if higher_is_worse:
        if value > critical_at:
            return Grade.CRITICAL
        return Grade.WARN if value > warn_at else Grade.OK
    if value < critical_at:
        return Grade.CRITICAL
    return Grade.WARN if value < warn_at else Grade.OK


@dataclass(frozen=True)
class Thresholds:
    """Every limit a check grades against; defaults fit the local cluster and a city."""

    timeout_seconds: float = 20.0  # per check: a check that takes longer is 위험 응답 없음
    # pgbackrest verify reads every backup file back: minutes on a large repository.
    verify_timeout_seconds: float = 300.0
    lag_warn_bytes: int = 1024 * 1024
    lag_critical_bytes: int = 16 * 1024 * 1024  # status.py's "unhealthy" line
    etcd_db_warn_bytes: int = 1024 * 1024 * 1024  # half of etcd's 2 GiB default quota
    etcd_db_critical_bytes: int = 1717986918  # 80 % of the quota: writes stop at 100 %
    db_size_warn_bytes: int = 50 * 1024**3
    db_size_critical_bytes: int = 200 * 1024**3
    backup_warn_hours: float = 26.0  # a nightly full or hourly diff missed once
    backup_critical_hours: float = 48.0
    wal_archive_warn_segments: int = 4
    wal_archive_critical_segments: int = 32
    dr_lag_warn_bytes: int = 16 * 1024 * 1024
    dr_lag_critical_bytes: int = 64 * 1024 * 1024  # promotion.DEFAULT_MAX_LAG_BYTES
    dr_sample_stale_seconds: float = 10.0  # the second site samples twice a second
    drill_warn_days: float = 30.0
    drill_critical_days: float = 90.0
    rehearsal_warn_days: float = 90.0
    rehearsal_critical_days: float = 180.0
    cert_warn_days: float = 30.0
    cert_critical_days: float = 7.0
    disk_warn_free_percent: float = 20.0
    disk_critical_free_percent: float = 10.0
    inode_warn_free_percent: float = 20.0
    inode_critical_free_percent: float = 10.0
    clock_warn_seconds: float = 0.5
    clock_critical_seconds: float = 2.0
    # Paths: "" means the default the adapter knows (fonts-nanum, the app's keys folder).
    font_paths: tuple[str, ...] = (
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
        "/usr/share/fonts/truetype/nanum/NanumSquareB.ttf",
    )
    catalog_dir: str = ""  # "": MINWON_CATALOG_DIR, else the built-in catalog
    keys_dir: str = ""  # "": <the cluster's app data>/keys
    tls_certificates: tuple[str, ...] = ()  # PEM files of TLS endpoints ("": no TLS here)
    rehearsal_dirs: tuple[str, ...] = ()  # besides <root>/rehearsals

    def to_dict(self) -> dict[str, Any]:
        """Returns the thresholds as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        """Returns the defaults with `data`'s values; ValueError naming an unknown or
        ill-typed key."""
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"알 수 없는 점검 기준: {key}")
            default = getattr(cls(), key)
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    raise ValueError(f"{key}: 문자열 목록이어야 합니다")
                changes[key] = tuple(value)
            elif isinstance(default, str):
                if not isinstance(value, str):
                    raise ValueError(f"{key}: 문자열이어야 합니다")
                changes[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{key}: 숫자여야 합니다")
                changes[key] = type(default)(value)
        return replace(cls(), **changes)

    @classmethod
    def from_file(cls, path: Path) -> Thresholds:
        """Returns the thresholds in JSON file `path` over the defaults."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("점검 기준 파일은 JSON 객체여야 합니다")
        return cls.from_dict(data)


@dataclass(frozen=True)
class InspectionReport:
    """Every check's result, when and where the inspection ran, and the overall grade."""

    target: str
    started_at: datetime
    seconds: float
    results: tuple[CheckResult, ...]

    @property
    def grade(self) -> Grade:
        """Returns the worst grade (미구성 counts as 정상: nothing there to be wrong)."""
        worst = max((SEVERITY[r.grade] for r in self.results), default=0)
        return {0: Grade.OK, 1: Grade.WARN, 2: Grade.CRITICAL}[worst]

    @property
    def exit_code(self) -> int:
        """Returns 0 (정상), 1 (any 주의) or 2 (any 위험)."""
        return EXIT_CODES[self.grade]

    def counts(self) -> dict[str, int]:
        """Returns how many results have each grade (every grade, zeros too)."""
        return {g.value: sum(r.grade is g for r in self.results) for g in Grade}

    def result(self, id: str) -> CheckResult:
        """Returns the result of check `id`; KeyError if it did not run."""
        for r in self.results:
            if r.id == id:
                return r
        raise KeyError(id)

    def to_dict(self) -> dict[str, Any]:
        """Returns the report as JSON-ready values (``minwon inspect --json``)."""
        return {
            "target": self.target,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 2),
            "grade": self.grade.value,
            "grade_ko": self.grade.ko,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "checks": [r.to_dict() for r in self.results],
        }
