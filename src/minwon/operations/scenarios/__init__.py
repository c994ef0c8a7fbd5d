"""Fault scenarios from DESIGN.md's matrix, as runbooks run against a cluster under load.

Each reads as a runbook: given a healthy cluster under steady issuance load, when the
fault is injected, then issuance resumes, nothing acknowledged is lost, nothing is issued
twice, and the cluster heals. ``steps`` defines the steps, ``runbooks`` orders them per
fault, ``runner`` runs them and writes the same JSON record for tests and benchmarks.
"""

from __future__ import annotations

from minwon.operations.scenarios.record import ScenarioRecord, StepRecord
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.runbooks import RUNBOOKS, find_runbook
from minwon.operations.scenarios.runner import Scenario, run_scenario, scenario_on

__all__ = [
    "RUNBOOKS",
    "Runbook",
    "Scenario",
    "ScenarioRecord",
    "StepRecord",
    "find_runbook",
    "run_scenario",
    "scenario_on",
]
