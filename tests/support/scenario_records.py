"""What every fault scenario's record must show, checked the same way in every module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from minwon.operations.scenarios import Scenario, ScenarioRecord

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scenarios"

Begin = Callable[[str], Scenario]  # the ``scenario`` fixture (tests/scenarios/conftest.py)


def held(record: ScenarioRecord) -> ScenarioRecord:
    """Writes the record under test-artifacts/scenarios/, prints its steps, then asserts
    that every step held, issuance resumed, nothing was lost, doubled or refused, and the
    cluster healed; returns the record for the test's own bounds."""
    path = record.write(ARTIFACTS)
    began = record.details.get("gap_began_after_fault")
    print(
        f"\n{record.fault}: gap {record.gap_seconds} s (from {began} s after the fault),"
        f" {record.acknowledged} acked, longest collector pause"
        f" {record.details.get('longest_gc_pause_seconds')} s ({path})"
    )
    for step in record.steps:
        print(f"  {step.number}. [{step.outcome}] {step.seconds:.2f} s {step.name}: {step.note}")
    assert [s for s in record.steps if not s.ok] == [], "a runbook step did not hold"
    assert record.acknowledged > 0
    assert record.details["acks_after_fault"] > 0, "issuance never resumed"
    assert record.lost == 0, f"acknowledged but missing on the new primary: {record}"
    assert record.duplicated == 0, f"issued or charged twice: {record}"
    assert record.failed_requests == 0, record.details["failures"]
    assert record.healed, f"the cluster did not heal: {record}"
    return record
