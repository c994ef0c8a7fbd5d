"""What a release acts on, as ports: the fleet of app instances, their metrics, the
probe, the schema, and the record of releases. ``canary.py`` drives them; the local
cluster implements them (``operations/cluster/fleet.py``), tests may fake them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from minwon.operations.release.builds import Build
from minwon.operations.release.probe import ProbeResult


class FleetError(Exception):
    """An instance could not be drained, started or admitted; says which and why."""


class Fleet(Protocol):
    """The app instances behind the load balancers, each running one build."""

    def instances(self) -> list[str]:
        """Returns the instance names, in the order a release replaces them."""
        ...

    def build_of(self, instance: str) -> Build:
        """Returns the build `instance` runs now."""
        ...

    def drain(self, instance: str, timeout: float) -> None:
        """Sends `instance` no new request and waits until it has none in flight."""
        ...

    def stop(self, instance: str) -> None:
        """Stops `instance`'s process gracefully (it finishes what it has)."""
        ...

    def start(self, instance: str, build: Build, timeout: float) -> None:
        """Starts `build` as `instance` (its port, its place behind the balancers);
        returns once it answers ``/readyz`` (FleetError with its log if it dies or
        never does). The supervisor restarts that build from now on."""
        ...

    def admit(self, instance: str) -> None:
        """Lets the load balancers send `instance` its share of live traffic."""
        ...

    def url(self, instance: str) -> str:
        """Returns the instance's own base URL (the probe talks to it directly)."""
        ...

    def running(self, instance: str) -> bool:
        """Returns True while the instance's process runs."""
        ...


@dataclass(frozen=True)
class Traffic:
    """Cumulative API requests an instance answered: all, server errors, and latency."""

    requests: int = 0
    errors: int = 0  # 5xx
    seconds: float = 0.0  # summed latency

    def __sub__(self, before: Traffic) -> Traffic:
        return Traffic(
            self.requests - before.requests,
            self.errors - before.errors,
            self.seconds - before.seconds,
        )

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(
            self.requests + other.requests,
            self.errors + other.errors,
            self.seconds + other.seconds,
        )


class Observer(Protocol):
    """Reads what each instance has served so far (its ``/metrics``)."""

    def traffic(self, instance: str) -> Traffic | None:
        """Returns the instance's cumulative API traffic, or None if it does not answer."""
        ...


class Prober(Protocol):
    """Runs the synthetic end-to-end probe (``probe.py``) against one instance."""

    def __call__(self, url: str) -> ProbeResult:
        """Returns the probe's checks against the server at `url`."""
        ...


class SchemaGate(Protocol):
    """The database schema a build needs, under expand and contract (issue 12 item 3)."""

    def refusal(self, build: Build, serving: list[Build]) -> str | None:
        """Returns why `build` may not roll out while `serving` builds still run (a
        migration without a phase, ...), in Korean; None if it may."""
        ...

    def expand(self, build: Build) -> list[str]:
        """Applies the build's pending expanding migrations; returns their revisions."""
        ...

    def pending_contracts(self, build: Build) -> list[str]:
        """Returns the contracting migrations `build` ships that are not applied yet:
        a rollout never applies them."""
        ...

    def contract(self, build: Build, serving: list[Build]) -> list[str]:
        """Applies `build`'s contracting migrations; refuses (an error) while a serving
        build that does not ship them still runs."""
        ...


@dataclass(frozen=True)
class ReleaseSummary:
    """What a release under load did, as the scenario steps check it."""

    outcome: str  # promoted, rolled_back, refused, failed
    code: str
    reason: str
    decision_seconds: float | None  # canary start -> decision
    rolled_back_seconds: float | None  # canary start -> every instance back
    builds_before: dict[str, str]
    builds_after: dict[str, str]
    failed_step: str | None
    timeline: str = ""  # each step and its seconds, for the scenario's record


class Releaser(Protocol):
    """Rolls a build out over the app instances (``operations/release``)."""

    def release_drill(self, kind: str) -> ReleaseSummary:
        """Releases the deliberately broken build `kind` (drills.py) and returns what the
        release decided."""
        ...
