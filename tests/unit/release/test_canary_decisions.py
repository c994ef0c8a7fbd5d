"""The canary's decisions, on a modelled fleet: what is promoted, what is rolled back.

The fleet, its traffic and the probe are models here (each instance serves requests at a
steady rate with its build's error rate and latency), so every path of the decision is
exercised in milliseconds. Real processes, HAProxy and broken builds: tests/scenarios/
test_safe_release.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from minwon.operations.incidents.model import Cause
from minwon.operations.release.builds import Build
from minwon.operations.release.canary import Outcome, Release, Timing
from minwon.operations.release.compare import Thresholds, Verdict, judge
from minwon.operations.release.incident import rollback_incident
from minwon.operations.release.ports import FleetError, Traffic
from minwon.operations.release.probe import CheckResult, ProbeResult
from minwon.operations.release.probe import Outcome as CheckOutcome

OLD = Build("0.1.0+old", "0.1.0", "old", "/old/python")
NEW = Build("0.1.1+new", "0.1.1", "new", "/new/python")


@dataclass
class Behaviour:
    error_rate: float = 0.0
    latency: float = 0.05
    probe_fails: bool = False
    starts: bool = True


@dataclass
class Model:
    """Instances that serve 10 API requests per second each, by their build's behaviour."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    now: float = 0.0
    running: dict[str, Build] = field(default_factory=dict)
    admitted: dict[str, bool] = field(default_factory=dict)
    served: dict[str, Traffic] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    rate: float = 10.0  # requests per second each admitted instance serves

    def behaviour(self, name: str) -> Behaviour:
        return self.behaviours.get(self.running[name].id, Behaviour())

    def advance(self, seconds: float) -> None:
        for name in self.running:
            if not self.admitted.get(name):
                continue
            b = self.behaviour(name)
            n = self.rate * seconds
            add = Traffic(int(n), round(n * b.error_rate), n * b.latency)
            self.served[name] = self.served.get(name, Traffic()) + add
        self.now += seconds


class ModelFleet:
    def __init__(self, model: Model) -> None:
        self.m = model

    def instances(self) -> list[str]:
        return sorted(self.m.running)

    def build_of(self, instance: str) -> Build:
        return self.m.running[instance]

    def drain(self, instance: str, timeout: float) -> None:
        self.m.admitted[instance] = False
        self.m.events.append(f"drain {instance}")

    def stop(self, instance: str) -> None:
        self.m.events.append(f"stop {instance}")

    def start(self, instance: str, build: Build, timeout: float) -> None:
        self.m.events.append(f"start {instance} {build.id}")
        self.m.running[instance] = build
        self.m.advance(2.0)  # a process takes ~2 s to answer /readyz
        if not self.m.behaviour(instance).starts:
            raise FleetError(f"앱 {instance} 시작 실패")

    def admit(self, instance: str) -> None:
        self.m.admitted[instance] = True
        self.m.events.append(f"admit {instance}")

    def url(self, instance: str) -> str:
        return f"http://{instance}"

    def running(self, instance: str) -> bool:
        return True


class ModelObserver:
    def __init__(self, model: Model) -> None:
        self.m = model

    def traffic(self, instance: str) -> Traffic | None:
        return self.m.served.get(instance, Traffic())


class ModelSchema:
    def __init__(self, refusal: str | None = None, *, contracts: bool = False) -> None:
        self.refused = refusal
        self.contracts = contracts
        self.expanded: list[str] = []

    def refusal(self, build: Build, serving: list[Build]) -> str | None:
        return self.refused

    def expand(self, build: Build) -> list[str]:
        self.expanded.append(build.id)
        return []

    def pending_contracts(self, build: Build) -> list[str]:
        return ["0009"] if self.refused is None and self.contracts else []

    def contract(self, build: Build, serving: list[Build]) -> list[str]:
        return []


def release(
    model: Model, schema: ModelSchema | None = None, *, allow_quiet: bool = False
) -> Release:
    def probe(url: str) -> ProbeResult:
        instance = url.removeprefix("http://")
        failed = model.behaviour(instance).probe_fails
        outcome = CheckOutcome.FAILED if failed else CheckOutcome.PASSED
        check = CheckResult("pdf", "PDF", outcome, 0.1, "probe.pdf_corrupt" if failed else None)
        return ProbeResult(url, (check,), 0.1)

    return Release(
        ModelFleet(model),
        ModelObserver(model),
        probe,
        schema or ModelSchema(),
        timing=Timing(window_min=3.0, window_max=30.0, poll=0.5, allow_quiet=allow_quiet),
        clock=lambda: model.now,
        sleep=model.advance,
        wall=lambda: 1_700_000_000.0,
    )


def fleet_of_three(**new: Behaviour) -> Model:
    model = Model(behaviours={NEW.id: new.get("new", Behaviour())})
    for name in ("1", "2", "3"):
        model.running[name] = OLD
        model.admitted[name] = True
    return model


def test_a_good_build_is_promoted_instance_by_instance_canary_first() -> None:
    model = fleet_of_three()
    report = release(model).run(NEW, who="operator")
    assert report.outcome is Outcome.PROMOTED, report.reason
    assert set(model.running.values()) == {NEW} and all(model.admitted.values())
    assert model.events[:4] == ["drain 1", "stop 1", f"start 1 {NEW.id}", "admit 1"]
    assert report.canary == "1"
    names = [s.name for s in report.steps]
    assert names[:7] == [
        "schema.check",
        "schema.expand",
        "drain",
        "stop",
        "start",
        "probe",
        "admit",
    ]
    assert names.count("compare") == 1  # only the canary is compared


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (Behaviour(probe_fails=True), "probe.pdf_corrupt"),
        (Behaviour(starts=False), "release.start_failed"),
        (Behaviour(error_rate=1.0), "canary.errors"),
        (Behaviour(error_rate=0.3), "canary.errors"),
        (Behaviour(latency=2.0), "canary.slow"),
    ],
)
def test_a_broken_canary_is_rolled_back_and_no_other_instance_is_touched(
    behaviour: Behaviour, code: str
) -> None:
    model = fleet_of_three(new=behaviour)
    report = release(model).run(NEW, who="operator")
    assert (report.outcome, report.code) == (Outcome.ROLLED_BACK, code), report.reason
    assert set(model.running.values()) == {OLD} and all(model.admitted.values())
    assert not any(e.startswith(("drain 2", "drain 3")) for e in model.events)
    assert report.decision_seconds is not None and report.decision_seconds < 10.0
    assert [s.ok for s in report.steps].count(False) == 1  # the failing step is recorded


def test_a_probe_visible_fault_is_decided_as_soon_as_the_canary_answers() -> None:
    report = release(fleet_of_three(new=Behaviour(probe_fails=True))).run(NEW, who="o")
    assert report.decision_seconds == pytest.approx(2.0)  # start (2 s) then the probe


def test_a_canary_that_gets_no_live_traffic_is_not_promoted_on_the_probe_alone() -> None:
    model = fleet_of_three()
    model.rate = 0.0  # night: nobody issues, or the canary's traffic is not counted
    report = release(model).run(NEW, who="operator")
    assert (report.outcome, report.code) == (Outcome.ROLLED_BACK, "canary.unjudged")
    assert set(model.running.values()) == {OLD}
    quiet = fleet_of_three()
    quiet.rate = 0.0
    report = release(quiet, allow_quiet=True).run(NEW, who="operator")  # said on purpose
    compare = next(s for s in report.steps if s.name == "compare")
    assert report.outcome is Outcome.PROMOTED and "--allow-quiet" in compare.note


def test_a_refused_schema_changes_nothing() -> None:
    model = fleet_of_three()
    schema = ModelSchema(refusal="마이그레이션 0009에 단계(expand·contract)가 없습니다")
    report = release(model, schema).run(NEW, who="operator")
    assert (report.outcome, report.code) == (Outcome.REFUSED, "release.schema_refused")
    assert "0009" in report.reason and model.events == [] and schema.expanded == []


def test_a_pending_contract_is_left_for_later_and_said_in_the_outcome() -> None:
    report = release(fleet_of_three(), ModelSchema(contracts=True)).run(NEW, who="operator")
    assert report.outcome is Outcome.PROMOTED
    assert "0009" in report.reason and "minwon release contract" in report.reason


def test_releasing_the_build_that_already_runs_replaces_nothing() -> None:
    model = fleet_of_three()
    for name in model.running:
        model.running[name] = NEW
    report = release(model).run(NEW, who="operator")
    assert report.outcome is Outcome.PROMOTED and model.events == []


def test_a_canary_judged_on_thin_traffic_waits_then_passes_only_without_errors() -> None:
    assert judge(Traffic(5, 0, 0.2), Traffic(100, 0, 5.0)).verdict is Verdict.WAIT
    assert judge(Traffic(5, 3, 0.2), Traffic(100, 0, 5.0)).verdict is Verdict.FAIL
    assert judge(Traffic(30, 1, 1.5), Traffic(100, 0, 5.0)).verdict is Verdict.PASS
    # One error is bad luck, three at a rate above the stable one are not.
    assert judge(Traffic(30, 2, 1.5), Traffic(100, 0, 5.0)).verdict is Verdict.PASS
    assert judge(Traffic(30, 3, 1.5), Traffic(100, 0, 5.0)).verdict is Verdict.FAIL
    # A stable fleet with the same error rate (a database hiccup) does not fail it.
    assert judge(Traffic(30, 3, 1.5), Traffic(100, 10, 5.0)).verdict is Verdict.PASS
    limits = Thresholds(min_requests=10)
    assert judge(Traffic(10, 0, 30.0), Traffic(100, 0, 5.0), limits).verdict is Verdict.FAIL


def test_a_rollback_is_an_incident_from_the_broken_build_starting_to_the_rollback_done() -> None:
    report = release(fleet_of_three(new=Behaviour(probe_fails=True))).run(NEW, who="F1")
    incident = rollback_incident(report, now=1.0)
    assert incident is not None
    assert (incident.component, incident.cause) == ("app:1", Cause.RELEASE_ROLLED_BACK)
    # The model's wall clock is fixed at the release's start; the canary started at once
    # (drain and stop take no model time), the new build took 2 s, the old one 2 s more.
    assert incident.started_at == 1_700_000_000.0
    assert incident.ended_at == incident.settled_at == 1_700_000_004.0
    assert NEW.id in incident.cause_detail and "probe.pdf_corrupt" in incident.cause_detail
    assert not incident.is_open
    promoted = release(fleet_of_three()).run(NEW, who="F1")
    assert rollback_incident(promoted) is None  # a release that went well is no incident
