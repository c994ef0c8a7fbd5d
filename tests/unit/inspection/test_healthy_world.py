"""A healthy cluster is 정상 on every check; what it does not have is 미구성, never 정상."""

from __future__ import annotations

import json

from minwon.operations.inspection.model import Grade
from minwon.operations.inspection.suite import CHECKS

from .conftest import World

NOT_BUILT = {"cert.tls", "dr.lag", "cluster.failover_rehearsal"}


def test_every_check_of_a_healthy_world_is_ok_or_not_configured(world: World) -> None:
    report = world.inspect()
    grades = {r.id: r.grade for r in report.results}
    assert set(grades) == {id for id, _, _ in CHECKS}
    assert {i for i, g in grades.items() if g is Grade.NOT_CONFIGURED} == NOT_BUILT
    assert all(g is Grade.OK for i, g in grades.items() if i not in NOT_BUILT), grades
    assert report.grade is Grade.OK and report.exit_code == 0


def test_not_configured_results_say_why_and_are_not_ok(world: World) -> None:
    for r in world.inspect().results:
        if r.id in NOT_BUILT:
            assert r.grade is not Grade.OK and r.reason, r


def test_every_result_has_a_korean_title_and_reason(world: World) -> None:
    for r in world.inspect().results:
        assert r.title and r.reason and any("가" <= ch <= "힣" for ch in r.reason), r


def test_the_json_report_has_every_check_with_grade_reason_action_and_measures(
    world: World,
) -> None:
    world.host.disks_value = ()  # one 위험 to see an action
    data = json.loads(json.dumps(world.inspect().to_dict(), ensure_ascii=False, default=str))
    assert data["grade"] == "critical" and data["grade_ko"] == "위험" and data["exit_code"] == 2
    assert data["counts"]["critical"] == 1
    assert sum(data["counts"].values()) == len(CHECKS) == len(data["checks"])
    for check in data["checks"]:
        assert set(check) >= {"id", "title", "grade", "grade_ko", "reason", "action", "measured"}
        assert check["grade"] in {g.value for g in Grade}
    disk = next(c for c in data["checks"] if c["id"] == "host.disk")
    assert disk["grade"] == "critical" and disk["action"]


def test_check_ids_are_unique_and_dotted(world: World) -> None:
    ids = [id for id, _, _ in CHECKS]
    assert len(ids) == len(set(ids))
    assert all("." in id and id == id.lower() for id in ids)
