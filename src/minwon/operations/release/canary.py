"""``minwon release``: a canary that decides by itself (the 2003 bad releases, F1).

One instance at a time: drain it through the load balancers (no request is cut), start
the new build in its place beside the old one, probe it end to end, give it its share of
live traffic and compare it with the stable instances; then promote the next instance,
or roll every replaced instance back to the build it ran. Every step is logged and kept
in the release's record (version, who, when, outcome, reason).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any

import structlog

from minwon.operations.release.builds import Build
from minwon.operations.release.compare import Judgement, Thresholds, Verdict, judge
from minwon.operations.release.ports import (
    Fleet,
    FleetError,
    Observer,
    Prober,
    SchemaGate,
    Traffic,
)

log = structlog.get_logger("minwon.release")


class Outcome(StrEnum):
    PROMOTED = "promoted"  # every instance runs the new build
    ROLLED_BACK = "rolled_back"  # the canary failed; every instance runs its old build
    REFUSED = "refused"  # nothing was changed (a contracting migration, ...)
    FAILED = "failed"  # the rollback itself failed: an operator must look


@dataclass(frozen=True)
class Timing:
    """How long each part of a release may take."""

    drain: float = 10.0  # for requests in flight to finish on a drained instance
    start: float = 60.0  # for a new process to answer /readyz
    # Per probe request: a fresh process's first answers (sign-in, first PDF) are slow on
    # a busy host; a hung build still fails the probe within this.
    probe_deadline: float = 5.0
    window_min: float = 3.0  # the shortest comparison with live traffic
    window_max: float = 30.0  # the longest, if traffic is thin
    poll: float = 0.25
    # A canary that got too little live traffic to compare by `window_max` is rolled back
    # (nothing shows it works on real requests) unless quiet traffic is allowed: then the
    # probe alone decides (a release at night).
    allow_quiet: bool = False


@dataclass(frozen=True)
class StepRecord:
    """One logged step: what, on which instance, when (seconds from the start), result."""

    name: str
    instance: str | None
    offset_seconds: float
    seconds: float
    ok: bool
    note: str


@dataclass
class ReleaseReport:
    """What a release did: the record a person reads and ``releases`` keeps."""

    build: Build
    who: str
    started_at: float  # wall time
    outcome: Outcome | None = None
    code: str = ""
    reason: str = ""
    canary: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    canary_started: float | None = None  # monotonic, when the canary's process started
    decided: float | None = None  # monotonic, when promote/rollback was decided
    rolled_back_seconds: float | None = None  # from canary start to rollback complete

    def to_row(self) -> dict[str, Any]:
        """Returns the finished release as the ``releases`` table keeps it."""
        if self.outcome is None:
            raise ValueError("a release is recorded once it has an outcome")
        return {
            "build_id": self.build.id,
            "version": self.build.version,
            "who": self.who,
            "started_at": datetime.fromtimestamp(self.started_at, UTC),
            "outcome": self.outcome.value,
            "code": self.code,
            "reason": self.reason,
            "canary": self.canary,
            "decision_seconds": self.decision_seconds,
            "steps": [asdict(step) for step in self.steps],
        }

    @property
    def decision_seconds(self) -> float | None:
        """Returns how long after the canary started the release decided."""
        if self.canary_started is None or self.decided is None:
            return None
        return round(self.decided - self.canary_started, 3)


class CanaryFailed(Exception):
    """The canary (or a later instance) failed a check: roll back."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Release:
    """Rolls `build` out over `fleet`, instance by instance, or rolls it back."""

    fleet: Fleet
    observer: Observer
    probe: Prober
    schema: SchemaGate
    timing: Timing = field(default_factory=Timing)
    thresholds: Thresholds = field(default_factory=Thresholds)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time

    def run(self, build: Build, *, who: str) -> ReleaseReport:
        """Releases `build`; returns the report (never raises for a failed canary)."""
        report = ReleaseReport(build, who, self.wall())
        began = self.clock()
        instances = self.fleet.instances()
        previous = {name: self.fleet.build_of(name) for name in instances}
        replaced: list[str] = []
        step = _Steps(report, began, self.clock)
        refusal = step.run("schema.check", None, lambda: self._schema_check(build, previous))
        if refusal:
            return self._end(report, Outcome.REFUSED, "release.schema_refused", refusal)
        try:
            step.run("schema.expand", None, lambda: self._expand(build))
        except CanaryFailed as failed:  # nothing was replaced yet
            return self._end(report, Outcome.REFUSED, failed.code, failed.reason)
        try:
            for number, name in enumerate(instances):
                if previous[name].id == build.id:
                    step.note(f"instance.{name}", name, f"이미 {build.id}를 실행 중")
                    continue
                step.run("drain", name, partial(self._drain, name))
                replaced.append(name)
                step.run("stop", name, partial(self._stop, name))
                if number == 0:
                    report.canary = name
                    report.canary_started = self.clock()
                step.run("start", name, partial(self._start, name, build))
                step.run("probe", name, partial(self._probe, name))
                step.run("admit", name, partial(self._admit, name))
                if number == 0:
                    step.run("compare", name, partial(self._compare, name, instances))
                    report.decided = self.clock()
        except CanaryFailed as failed:
            report.decided = report.decided or self.clock()
            return self._roll_back(report, step, replaced, previous, failed)
        reason = f"모든 인스턴스가 {build.id}를 실행"
        waiting = self.schema.pending_contracts(build)
        if waiting:
            reason += (
                f"; 축소 마이그레이션 {', '.join(waiting)}은(는) 적용하지 않았습니다 "
                "(되돌릴 수 있도록): 확인 뒤 `minwon release contract`로 적용하세요"
            )
        return self._end(report, Outcome.PROMOTED, "release.promoted", reason)

    # -- steps ----------------------------------------------------------------------------

    def _schema_check(self, build: Build, previous: dict[str, Build]) -> str:
        serving = [b for b in previous.values() if b.id != build.id]
        return self.schema.refusal(build, serving) or ""

    def _expand(self, build: Build) -> str:
        try:
            applied = self.schema.expand(build)
        except Exception as exc:  # the gate's own error, or its command failing
            raise CanaryFailed("release.expand_failed", f"확장 마이그레이션 실패: {exc}") from exc
        return (
            f"확장 마이그레이션 {', '.join(applied)} 적용"
            if applied
            else "적용할 마이그레이션 없음"
        )

    def _drain(self, name: str) -> str:
        try:
            self.fleet.drain(name, self.timing.drain)
        except FleetError as exc:
            raise CanaryFailed("release.drain_failed", str(exc)) from exc
        return "부하분산기에서 뺌, 처리 중인 요청이 끝남"

    def _stop(self, name: str) -> str:
        try:
            self.fleet.stop(name)
        except FleetError as exc:
            raise CanaryFailed("release.stop_failed", str(exc)) from exc
        return "이전 프로세스를 정상 종료함"

    def _start(self, name: str, build: Build) -> str:
        try:
            self.fleet.start(name, build, self.timing.start)
        except FleetError as exc:
            raise CanaryFailed("release.start_failed", str(exc)) from exc
        return f"{build.id} 시작, /readyz 응답"

    def _probe(self, name: str) -> str:
        result = self.probe(self.fleet.url(name))
        if not result.passed:
            raise CanaryFailed(result.code, f"시험 발급 실패: {result.message}")
        return f"시험 발급 통과 ({len(result.checks)}개 확인)"

    def _admit(self, name: str) -> str:
        try:
            self.fleet.admit(name)
        except FleetError as exc:
            raise CanaryFailed("release.admit_failed", str(exc)) from exc
        return "부하분산기에 넣음"

    def _compare(self, canary: str, instances: list[str]) -> str:
        stable = [name for name in instances if name != canary]
        start = self._traffic([canary]), self._traffic(stable)
        began = self.clock()
        judgement: Judgement | None = None
        while True:
            self.sleep(self.timing.poll)
            if not self.fleet.running(canary):
                raise CanaryFailed("canary.exited", "카나리아 프로세스가 끝났습니다")
            elapsed = self.clock() - began
            canary_now = self._traffic([canary]) - start[0]
            stable_now = self._traffic(stable) - start[1]
            judgement = judge(canary_now, stable_now, self.thresholds)
            if judgement.verdict is Verdict.FAIL:
                raise CanaryFailed(judgement.code, judgement.reason)
            if judgement.verdict is Verdict.PASS and elapsed >= self.timing.window_min:
                return judgement.reason
            if elapsed >= self.timing.window_max:
                if canary_now.errors or not self.timing.allow_quiet:
                    raise CanaryFailed(
                        "canary.unjudged",
                        f"{self.timing.window_max:.0f}초 동안 비교할 만큼 요청이 오지 않았습니다: "
                        f"{judgement.reason}",
                    )
                return f"요청이 적어 시험 발급만으로 판단 (--allow-quiet): {judgement.reason}"

    def _traffic(self, names: list[str]) -> Traffic:
        total = Traffic()
        for name in names:
            total = total + (self.observer.traffic(name) or Traffic())
        return total

    # -- ending -----------------------------------------------------------------------------

    def _roll_back(
        self,
        report: ReleaseReport,
        step: _Steps,
        replaced: list[str],
        previous: dict[str, Build],
        failed: CanaryFailed,
    ) -> ReleaseReport:
        log.warning("release.rolling_back", build=report.build.id, code=failed.code)
        try:
            for name in reversed(replaced):
                step.run("rollback.drain", name, partial(self._drain, name))
                step.run("rollback.stop", name, partial(self._stop, name))
                step.run("rollback.start", name, partial(self._start, name, previous[name]))
                step.run("rollback.admit", name, partial(self._admit, name))
        except CanaryFailed as worse:
            reason = f"{failed.reason}; 되돌리기도 실패: {worse.reason}"
            return self._end(report, Outcome.FAILED, worse.code, reason)
        if report.canary_started is not None:
            report.rolled_back_seconds = round(self.clock() - report.canary_started, 3)
        return self._end(report, Outcome.ROLLED_BACK, failed.code, failed.reason)

    def _end(
        self, report: ReleaseReport, outcome: Outcome, code: str, reason: str
    ) -> ReleaseReport:
        report.outcome, report.code, report.reason = outcome, code, reason
        log.info(
            "release.finished",
            build=report.build.id,
            outcome=outcome.value,
            code=code,
            decision_seconds=report.decision_seconds,
        )
        return report


class _Steps:
    """Runs and records the steps of one release; a failing step re-raises."""

    def __init__(self, report: ReleaseReport, began: float, clock: Callable[[], float]) -> None:
        self.report, self.began, self.clock = report, began, clock

    def run(self, name: str, instance: str | None, action: Callable[[], str]) -> str:
        started = self.clock()
        try:
            note = action()
        except CanaryFailed as exc:
            self._add(name, instance, started, ok=False, note=f"{exc.code}: {exc.reason}")
            raise
        self._add(name, instance, started, ok=True, note=note)
        return note

    def note(self, name: str, instance: str | None, note: str) -> None:
        self._add(name, instance, self.clock(), ok=True, note=note)

    def _add(self, name: str, instance: str | None, started: float, *, ok: bool, note: str) -> None:
        now = self.clock()
        record = StepRecord(
            name, instance, round(started - self.began, 3), round(now - started, 3), ok, note
        )
        self.report.steps.append(record)
        log.info(
            "release.step",
            build=self.report.build.id,
            step=name,
            instance=instance,
            ok=ok,
            seconds=record.seconds,
            note=note,
        )
