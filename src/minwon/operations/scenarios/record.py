"""The JSON record of one scenario run: what tests assert on and benchmarks read."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    """How a step ended."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # not run: an earlier given/when step failed


@dataclass(frozen=True)
class StepRecord:
    """One step as it ran: when it began, how long it took, and what it found."""

    number: int
    keyword: str
    name: str
    started_at: str  # wall time, ISO 8601 with milliseconds
    offset_seconds: float  # since the scenario's first step began
    seconds: float
    outcome: Outcome
    note: str = ""

    @property
    def ok(self) -> bool:
        """Returns True if the step ran and held."""
        return self.outcome is Outcome.OK


@dataclass
class ScenarioRecord:
    """The figures of one fault under load, and the steps that produced them."""

    fault: str
    title: str
    started_at: str
    gap_seconds: float
    acknowledged: int
    lost: int
    duplicated: int
    failed_requests: int
    healed: bool
    old_primary: str | None = None
    new_primary: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def failed_steps(self) -> list[StepRecord]:
        """Returns the steps that failed or were skipped."""
        return [s for s in self.steps if not s.ok]

    def to_dict(self) -> dict[str, Any]:
        """Returns the record as JSON-ready values."""
        return asdict(self)

    def write(self, directory: Path) -> Path:
        """Writes ``<fault>-<started_at>.json`` under `directory`; returns its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.fault}-{self.started_at.replace(':', '')}.json"
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), "utf-8")
        return path
