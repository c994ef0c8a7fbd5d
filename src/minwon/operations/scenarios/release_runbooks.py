"""F1, the 2003 bad releases, as runbooks: one per drill build (release/drills.py)."""

from __future__ import annotations

from minwon.operations.release.drills import DRILLS
from minwon.operations.scenarios.release_steps import (
    CAUGHT_BY_THE_COMPARISON,
    CAUGHT_BY_THE_PROBE,
    STEADY_LOAD_THROUGH_BALANCERS,
    release_drill,
)
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    Step,
)


def bad_release(fault: str, kind: str, caught: Step) -> Runbook:
    """Returns F1's runbook for drill build `kind` (operations/release/drills.py)."""
    drill = DRILLS[kind]
    by = "the probe" if caught is CAUGHT_BY_THE_PROBE else "the live comparison"
    return Runbook(
        fault,
        f"a release that errors: {kind}",
        f"{by} catches it and the release rolls back by itself; clients see no failed "
        "issuance (their retries land on stable instances); nothing lost or doubled",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD_THROUGH_BALANCERS,
            release_drill(kind),
            caught,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko=f"오류가 있는 배포: {drill.title_ko}",
        must_hold_ko="카나리아가 잡아내 스스로 되돌리고, 클라이언트는 실패한 발급을 보지 않으며 "
        "(재시도가 안정 인스턴스로 감), 없어지거나 두 번 발급되는 것이 없다",
        through_balancers=True,
    )


BAD_RELEASES = (
    bad_release("F1a", "fails-after-write", CAUGHT_BY_THE_PROBE),
    bad_release("F1b", "corrupt-pdf", CAUGHT_BY_THE_PROBE),
    bad_release("F1c", "wrong-entitlement", CAUGHT_BY_THE_PROBE),
    bad_release("F1d", "fails-on-live-traffic", CAUGHT_BY_THE_COMPARISON),
)
