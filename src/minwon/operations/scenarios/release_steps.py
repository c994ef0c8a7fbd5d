"""Steps of a bad release under load (F1, the 2003 registry releases): a broken build is
rolled out while kiosks issue, and the canary must catch it and roll it back by itself."""

from __future__ import annotations

import time
from collections.abc import Callable

from minwon.operations.release.drills import DRILLS
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.steps import Keyword, Step, start_load

# A fault the probe sees must be decided within this long of the canary starting (the
# issue's bound; Flagger's default analysis takes minutes).
PROBE_VISIBLE_DECISION_SECONDS = 10.0


def _steady_load(ctx: ScenarioContext) -> str:
    return start_load(ctx)


def release_drill(kind: str) -> Step:
    """Returns the step that releases drill build `kind` while the load runs."""
    drill = DRILLS[kind]

    def action(ctx: ScenarioContext) -> str:
        ctx.fault_begins()
        summary = ctx.releases().release_drill(kind)
        # Wall time: the releaser's incident ends when its rollback did, just before this.
        ctx.figures["release_done_at"] = round(time.time(), 3)
        ctx.release = summary
        if summary.decision_seconds is not None:
            ctx.figures["decision_seconds"] = summary.decision_seconds
        if summary.rolled_back_seconds is not None:
            ctx.figures["rolled_back_seconds"] = summary.rolled_back_seconds
        return (
            f"minwon release of a build where {drill.kind}: {summary.outcome} "
            f"({summary.code}) decided {summary.decision_seconds} s after the canary "
            f"started: {summary.reason} [{summary.timeline}]"
        )

    return Step(
        Keyword.WHEN,
        f"a broken build is released under load: {drill.kind} ({drill.title_ko})",
        action,
        how=f"minwon release drill {kind} --out /tmp/drill; minwon release run --source /tmp/drill",
        ko=f"고장 난 빌드를 부하 중에 배포한다: {drill.title_ko}",
    )


def _rolled_back(within: float | None) -> Callable[[ScenarioContext], str]:
    def action(ctx: ScenarioContext) -> str:
        summary = ctx.release
        if summary is None:
            raise StepFailedError("no release ran")
        if summary.outcome != "rolled_back":
            raise StepFailedError(f"the release ended {summary.outcome}: {summary.reason}")
        if summary.builds_after != summary.builds_before:
            raise StepFailedError(
                f"instances run {summary.builds_after}, not {summary.builds_before} as before"
            )
        took = summary.decision_seconds
        if within is not None and (took is None or took > within):
            raise StepFailedError(f"decided {took} s after the canary started (> {within} s)")
        return (
            f"rolled back at step {summary.failed_step} ({summary.code}), decided {took} s "
            f"after the canary started; every instance runs its old build again"
        )

    return action


CAUGHT_BY_THE_PROBE = Step(
    Keyword.THEN,
    f"the canary's probe caught it: rolled back automatically, decided within "
    f"{PROBE_VISIBLE_DECISION_SECONDS:.0f} s of the canary starting, every instance on its "
    "old build",
    _rolled_back(PROBE_VISIBLE_DECISION_SECONDS),
    how="minwon release history: rolled_back, 사유 probe.*",
    ko=f"카나리아의 시험 발급이 잡아냈다: 카나리아 시작 {PROBE_VISIBLE_DECISION_SECONDS:.0f}초 "
    "안에 자동으로 되돌렸고, 모든 인스턴스가 이전 빌드로 돈다",
    heals=True,
)
CAUGHT_BY_THE_COMPARISON = Step(
    Keyword.THEN,
    "the comparison with the stable instances caught it on live traffic: rolled back "
    "automatically, every instance on its old build",
    _rolled_back(None),
    how="minwon release history: rolled_back, 사유 canary.errors",
    ko="안정 인스턴스와의 비교가 실제 요청에서 잡아냈다: 자동으로 되돌렸고, 모든 인스턴스가 "
    "이전 빌드로 돈다",
    heals=True,
)
STEADY_LOAD_THROUGH_BALANCERS = Step(
    Keyword.GIVEN,
    "steady issuance load through both HAProxy paths' app balancers: kiosk clients with "
    "idempotency keys issuing 등본 back to back",
    _steady_load,
    how="Idempotency-Key로 재시도하는 무인발급기 클라이언트가 두 HAProxy 경로로 발급",
    ko="두 HAProxy 경로의 앱 부하분산으로 발급 부하가 꾸준하다: Idempotency-Key를 쓰는 "
    "무인발급기 클라이언트가 등본을 쉬지 않고 발급한다",
)
