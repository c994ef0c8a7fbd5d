"""Runbooks run against the shipped fake cluster: step order, the record, and failures.

The same step objects run against real processes in tests/scenarios; here the model
answers instantly, so each fault's whole runbook takes milliseconds.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest

from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.fake import FakeCluster
from minwon.operations.cluster.fake_traffic import FakeLedger, FakeLoad
from minwon.operations.cluster.faults import (
    Kill,
    ProcessRef,
    Start,
    etcd,
    haproxy,
    patroni,
    postmaster,
)
from minwon.operations.network.fake import FakeHosts, FakePaths
from minwon.operations.release.fake import FakeReleaser
from minwon.operations.scenarios import RUNBOOKS, Scenario, ScenarioRecord
from minwon.operations.scenarios.context import ScenarioContext
from minwon.operations.scenarios.network_steps import STEADY_LOAD_FROM_KIOSKS
from minwon.operations.scenarios.partition_steps import (
    NEVER_TWO_PRIMARIES,
    NOTHING_ACKED_ON_ISOLATED_SIDE,
    OLD_PRIMARY_DEMOTES,
)
from minwon.operations.scenarios.record import Outcome
from minwon.operations.scenarios.release_steps import STEADY_LOAD_THROUGH_BALANCERS
from minwon.operations.scenarios.runner import RunbookMismatchError
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    KILL_PRIMARY_POSTMASTER,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    OLD_PRIMARY_REJOINS,
    STANDBY_PROMOTED,
    STEADY_LOAD,
    Keyword,
)

RECORD_FIELDS = {
    "fault",
    "title",
    "started_at",
    "gap_seconds",
    "acknowledged",
    "lost",
    "duplicated",
    "failed_requests",
    "healed",
    "old_primary",
    "new_primary",
    "details",
}


def scenario(fault: str, cluster: FakeCluster | None = None) -> Scenario:
    fake = cluster or FakeCluster()
    context = ScenarioContext(
        cluster=fake,
        new_load=lambda: FakeLoad(fake),
        ledger=FakeLedger(fake),
        clock=fake.clock,
        network=FakePaths(fake.clock),
        releaser=FakeReleaser(fake.clock),
        hosts=FakeHosts(fake),
    )
    return Scenario(RUNBOOKS[fault], context)


def names(record: ScenarioRecord) -> list[str]:
    return [s.name for s in record.steps]


@pytest.mark.parametrize("fault", list(RUNBOOKS))
def test_every_runbook_holds_on_the_fake_cluster_and_records_each_step_in_order(
    fault: str,
) -> None:
    record = scenario(fault).run_all()
    runbook = RUNBOOKS[fault]
    assert names(record) == [step.name for step in runbook.steps]
    assert [s.number for s in record.steps] == list(range(1, len(runbook.steps) + 1))
    assert [s.outcome for s in record.steps] == [Outcome.OK] * len(runbook.steps)
    offsets = [s.offset_seconds for s in record.steps]
    assert offsets == sorted(offsets) and offsets[0] == 0.0
    assert all(s.note for s in record.steps)
    assert record.fault == fault and record.title == runbook.title
    assert record.acknowledged > 0 and record.details["acks_after_fault"] > 0
    assert (record.lost, record.duplicated, record.failed_requests) == (0, 0, 0)
    assert record.healed


def test_every_runbook_starts_from_a_healthy_cluster_under_load_and_ends_with_the_audit() -> None:
    for runbook in RUNBOOKS.values():
        givens = [s for s in runbook.steps if s.keyword is Keyword.GIVEN]
        assert runbook.steps[0] == HEALTHY_CLUSTER
        loads = (STEADY_LOAD, STEADY_LOAD_FROM_KIOSKS, STEADY_LOAD_THROUGH_BALANCERS)
        assert givens[-1] in loads
        assert runbook.steps[len(givens)].keyword is Keyword.WHEN
        assert runbook.steps[-3:] == (CLUSTER_HEALTHY, LOAD_STOPPED, NOTHING_LOST_OR_DOUBLED)
        assert any(step.heals for step in runbook.steps)


def test_f2a_fails_over_to_the_sync_standby_and_the_gap_is_the_failover_time() -> None:
    fake = FakeCluster()
    record = scenario("F2a", fake).run_all()
    assert (record.old_primary, record.new_primary) == ("pg1", "pg2")
    assert fake.operations == [Kill(postmaster("pg1"))]
    assert record.gap_seconds == pytest.approx(fake.timings.failover, abs=0.2)
    promoted = record.steps[4]
    assert promoted.name == STANDBY_PROMOTED.name
    assert promoted.note.startswith("pg2 leads on timeline 2 (was pg1 on 1)")


def test_f2a_recovery_fails_when_the_old_primary_never_rejoins() -> None:
    fake = FakeCluster(rejoins=False)
    record = scenario("F2a", fake).run_all()
    failed = {s.name: s for s in record.failed_steps}
    assert set(failed) == {OLD_PRIMARY_REJOINS.name, CLUSTER_HEALTHY.name}
    assert "not rejoined within 120 s" in failed[OLD_PRIMARY_REJOINS.name].note
    assert not record.healed
    assert record.lost == 0  # issuance itself went on: only the repair is missing


def test_f2b_restarts_the_dead_host_only_after_it_stayed_down_30_s() -> None:
    fake = FakeCluster()
    record = scenario("F2b", fake).run_all()
    assert fake.operations == [
        Kill(patroni("pg1")),
        Kill(postmaster("pg1")),
        Start(patroni("pg1")),
    ]
    fault, start = record.steps[2], record.steps[6]
    assert start.name.startswith("start the old primary's Patroni")
    assert start.offset_seconds - fault.offset_seconds == pytest.approx(30, abs=0.1)
    assert record.gap_seconds == pytest.approx(fake.timings.lease, abs=0.2)


def test_f3_leaves_the_restart_to_the_supervisor_and_f7_starts_what_it_held_down() -> None:
    f3 = FakeCluster()
    record = scenario("F3", f3).run_all()
    assert f3.operations == [Kill(haproxy("1"))]  # nobody but the supervisor starts it
    assert f3.status().supervisor.restarted("haproxy:1") == 1  # type: ignore[union-attr]
    restarted = record.steps[4]
    assert restarted.name.startswith("the supervisor starts HAProxy path 1 again within 10 s")
    assert restarted.note.startswith("haproxy:1 started again by the supervisor and serving")
    f7 = FakeCluster()
    record = scenario("F7", f7).run_all()
    assert f7.operations == [
        Kill(etcd("e1")),
        Kill(etcd("e2")),
        Start(etcd("e1")),
        Start(etcd("e2")),
    ]
    assert record.old_primary == record.new_primary == "pg1"


def test_a_lost_issuance_fails_the_audit_and_is_counted_in_the_record() -> None:
    fake = FakeCluster()
    s = scenario("F3", fake)
    with s:
        for step in RUNBOOKS["F3"].steps[:-1]:
            s._run(step, step.keyword)
        fake.rows.pop(0)  # the database lost an acknowledged issuance
        s.then(NOTHING_LOST_OR_DOUBLED)
    assert s.record.lost == 1
    assert s.record.failed_steps[-1].name == NOTHING_LOST_OR_DOUBLED.name


def test_the_test_body_must_follow_the_runbook_step_by_step() -> None:
    s = scenario("F2a")
    with pytest.raises(RunbookMismatchError, match="step 2"), s:
        s.given(HEALTHY_CLUSTER)
        s.when(KILL_PRIMARY_POSTMASTER)  # skipped the load
    assert names_of(s) == [HEALTHY_CLUSTER.name, *[st.name for st in RUNBOOKS["F2a"].steps[1:]]]
    assert [st.outcome for st in s.steps[1:6]] == [Outcome.SKIPPED] * 5
    assert s.context.load is None  # the cleanup steps still ran


def test_a_step_run_with_the_wrong_keyword_is_refused() -> None:
    s = scenario("F2a")
    with pytest.raises(RunbookMismatchError, match="Given"), s:
        s.then(HEALTHY_CLUSTER)


def test_leaving_steps_out_is_refused() -> None:
    s = scenario("F2a")
    with pytest.raises(RunbookMismatchError, match="not run"), s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_PRIMARY_POSTMASTER)
        s.then(ISSUANCE_RESUMES)
    assert s.context.load is None


class UnkillableCluster(FakeCluster):
    """A fake whose processes cannot be signalled (as if they belonged to someone else)."""

    def kill(self, process: ProcessRef, sig: int = signal.SIGKILL, *, hold: bool = False) -> None:
        raise ClusterError(f"{process} is not running")


def test_a_failed_fault_step_skips_the_checks_but_still_repairs_and_stops_the_load() -> None:
    record = scenario("F7", UnkillableCluster()).run_all()
    outcomes = [s.outcome for s in record.steps]
    assert outcomes == [
        Outcome.OK,  # healthy
        Outcome.OK,  # load
        Outcome.FAILED,  # kill -9 etcd e1 and e2
        Outcome.SKIPPED,  # issuance resumes: there was no fault
        Outcome.SKIPPED,  # stay down
        Outcome.SKIPPED,  # the primary kept its role
        Outcome.OK,  # start again: nothing to start
        Outcome.OK,  # quorum back: it never went
        Outcome.OK,  # healthy
        Outcome.OK,  # load stopped
        Outcome.OK,  # audit
    ]
    assert record.steps[2].note == "ClusterError: etcd:e1 is not running"
    assert record.steps[6].note == "nothing was killed"
    assert record.acknowledged > 0 and record.healed


def test_the_json_record_keeps_the_fields_benchmarks_read_and_adds_the_steps(
    tmp_path: Path,
) -> None:
    record = scenario("F2a").run_all()
    data = json.loads(record.write(tmp_path).read_text(encoding="utf-8"))
    assert set(data) >= RECORD_FIELDS
    assert data["fault"] == "F2a" and data["lost"] == 0
    assert [s["name"] for s in data["steps"]] == [s.name for s in RUNBOOKS["F2a"].steps]
    first = data["steps"][0]
    assert set(first) >= {"name", "keyword", "started_at", "seconds", "outcome", "note"}
    assert first["outcome"] == "ok" and first["started_at"].startswith("2025-01-01T00:00:00")


def names_of(s: Scenario) -> list[str]:
    return [step.name for step in s.steps]


def test_p1_measures_the_demotion_before_the_lease_and_the_new_leader_after_it() -> None:
    fake = FakeCluster()
    record = scenario("P1", fake).run_all()
    details = record.details
    assert (record.old_primary, record.new_primary) == ("pg1", "pg2")
    assert details["demote_seconds"] == pytest.approx(fake.timings.partition_demote, abs=0.2)
    assert details["new_primary_seconds"] == pytest.approx(fake.timings.lease, abs=0.2)
    assert details["isolated_acknowledged"] == 0 and details["isolated_commits"] > 0
    assert details["two_primary_samples"] == 0 and details["role_samples"] > 100
    assert record.gap_seconds == pytest.approx(fake.timings.lease, abs=0.3)


class SplitBrainCluster(FakeCluster):
    """A partitioned leader that goes on taking and acknowledging writes (as if it
    reached a standby nobody else does) while the majority elects another."""

    cut: str | None = None

    def isolate(self, member: str) -> None:
        self.cut = member
        super().isolate(member)

    def heal(self, member: str) -> None:
        self.cut = None
        super().heal(member)

    def roles(self) -> dict[str, bool | None]:
        return {**super().roles(), **({self.cut: True} if self.cut else {})}

    def commits_on_host(self, member: str) -> bool:
        return member == self.cut or super().commits_on_host(member)


def test_p1_fails_a_primary_that_stays_primary_and_acknowledges_on_the_isolated_side() -> None:
    record = scenario("P1", SplitBrainCluster()).run_all()
    failed = {s.name: s.note for s in record.failed_steps}
    assert set(failed) == {
        OLD_PRIMARY_DEMOTES.name,
        NOTHING_ACKED_ON_ISOLATED_SIDE.name,
        NEVER_TWO_PRIMARIES.name,
    }
    assert "pg1 still takes writes 60 s after the partition" in failed[OLD_PRIMARY_DEMOTES.name]
    # Every commit its own client sent after the cut came back: all of them are counted.
    assert re.match(
        r"(\d+) of \1 commits sent on pg1's host", failed[NOTHING_ACKED_ON_ISOLATED_SIDE.name]
    )
    assert (
        "samples saw two members taking writes: +19.95 s ['pg1', 'pg2']"
        in failed[NEVER_TWO_PRIMARIES.name]
    )
    assert record.details["two_primary_samples"] > 0
