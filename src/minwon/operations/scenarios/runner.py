"""Running a runbook: step by step from a test body, or all at once for benchmarks.

``Scenario`` runs the steps its caller names, checks that they are the runbook's steps in
the runbook's order, records each one (start, duration, outcome, what it saw), and turns
the run into a ``ScenarioRecord``. A failing check is recorded, not raised: later steps
still wait, repair and count, so the record is complete and the cluster is left healed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from minwon.operations.clock import SYSTEM_CLOCK
from minwon.operations.cluster.backend import ClusterBackend
from minwon.operations.load import IssuanceLoad, LoadResult, longest_gap
from minwon.operations.release.ports import Releaser
from minwon.operations.scenarios.context import (
    HostFaults,
    Load,
    NetworkPaths,
    ScenarioContext,
    Settings,
    StepFailedError,
)
from minwon.operations.scenarios.ledger import SqlLedger
from minwon.operations.scenarios.record import Outcome, ScenarioRecord, StepRecord
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.steps import Keyword, Step


class RunbookMismatchError(Exception):
    """The steps run are not the runbook's steps in its order (a test body out of date)."""


@dataclass
class Scenario:
    """One run of a runbook; use as ``with Scenario(...) as s: s.given(...); ...``."""

    runbook: Runbook
    context: ScenarioContext
    steps: list[StepRecord] = field(default_factory=list)
    aborted: bool = False
    _record: ScenarioRecord | None = None

    def __enter__(self) -> Scenario:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            # Leave the shared cluster as healed as the runbook would have: run the
            # repairs and cleanups still to come, then let the error through.
            self.aborted = True
            for step in self.runbook.steps[len(self.steps) :]:
                self._execute(step)
            self._finish_load()
            return
        missing = self.runbook.steps[len(self.steps) :]
        if missing:
            self._finish_load()
            raise RunbookMismatchError(
                f"{self.runbook.fault}: steps not run: {[s.name for s in missing]}"
            )
        self._record = self._build_record()

    def given(self, step: Step) -> None:
        """Runs the runbook's next step, a Given."""
        self._run(step, Keyword.GIVEN)

    def when(self, step: Step) -> None:
        """Runs the runbook's next step, a When."""
        self._run(step, Keyword.WHEN)

    def then(self, step: Step) -> None:
        """Runs the runbook's next step, a Then."""
        self._run(step, Keyword.THEN)

    def run_all(self) -> ScenarioRecord:
        """Runs every step of the runbook in order; returns the record."""
        with self:
            for step in self.runbook.steps:
                self._run(step, step.keyword)
        return self.record

    @property
    def record(self) -> ScenarioRecord:
        """Returns the record of a finished run."""
        if self._record is None:
            raise RunbookMismatchError("the scenario has not finished")
        return self._record

    def _run(self, step: Step, keyword: Keyword) -> None:
        number = len(self.steps) + 1
        expected = self.runbook.steps[number - 1] if number <= len(self.runbook.steps) else None
        if step is not expected or step.keyword is not keyword:
            wanted = f"{expected.keyword} {expected.name}" if expected else "nothing"
            raise RunbookMismatchError(
                f"{self.runbook.fault} step {number} is {wanted!r}, not {keyword} {step.name!r}"
            )
        self._execute(step)

    def _execute(self, step: Step) -> None:
        ctx = self.context
        began = ctx.clock.monotonic()
        if ctx.began is None:
            ctx.began = began
        started_at = ctx.clock.now().isoformat(timespec="milliseconds")
        if self.aborted and not step.always:
            outcome, note = Outcome.SKIPPED, "skipped: an earlier given or when step failed"
        else:
            try:
                outcome, note = Outcome.OK, step.action(ctx)
            except StepFailedError as exc:
                outcome, note = Outcome.FAILED, str(exc)
            except Exception as exc:
                outcome, note = Outcome.FAILED, f"{type(exc).__name__}: {exc}"
            if outcome is Outcome.FAILED and step.keyword is not Keyword.THEN:
                self.aborted = True
        self.steps.append(
            StepRecord(
                number=len(self.steps) + 1,
                keyword=step.keyword.value,
                name=step.name,
                started_at=started_at,
                offset_seconds=round(began - ctx.began, 3),
                seconds=round(ctx.clock.monotonic() - began, 3),
                outcome=outcome,
                note=note,
            )
        )

    def _finish_load(self) -> None:
        """Stops a load that a failed run left running (its threads would issue on)."""
        ctx = self.context
        if ctx.load is not None:
            ctx.ended = ctx.clock.monotonic()
            ctx.result = ctx.load.stop()
            ctx.load = None

    def _build_record(self) -> ScenarioRecord:
        self._finish_load()
        ctx = self.context
        result = ctx.result or LoadResult()
        now = ctx.clock.monotonic()
        injected = ctx.injected if ctx.injected is not None else ctx.began or now
        ended = ctx.ended if ctx.ended is not None else now
        by_step = dict(zip(self.runbook.steps, self.steps, strict=True))
        healing = [record for step, record in by_step.items() if step.heals]
        gap, gap_began = longest_gap((a.at for a in result.acks), injected - 0.5, ended)
        return ScenarioRecord(
            fault=self.runbook.fault,
            title=self.runbook.title,
            started_at=ctx.started_at or ctx.clock.now().isoformat(timespec="seconds"),
            gap_seconds=round(gap, 3),
            acknowledged=len(result.acks),
            lost=ctx.lost,
            duplicated=ctx.duplicated,
            failed_requests=len(result.failures),
            healed=bool(healing) and all(r.ok for r in healing),
            old_primary=ctx.old_primary,
            new_primary=ctx.new_primary,
            details={
                "resume_seconds": (
                    round(ctx.resumed - ctx.injected, 3)
                    if ctx.resumed is not None and ctx.injected is not None
                    else None
                ),
                # Where the longest gap lies, from the fault (to tell a stall at the fault
                # from one later: a status look, a resume, a noisy machine).
                "gap_began_after_fault": round(gap_began - injected, 3),
                "longest_gc_pause_seconds": result.longest_gc_pause,
                "acks_after_fault": sum(1 for a in result.acks if a.at > injected),
                "replayed": sum(1 for a in result.acks if a.replayed),
                "max_attempts": max((a.attempts for a in result.acks), default=0),
                # A request in flight when the fault hit waits longest (issue 11: 10.35 s
                # behind a dead instance's idempotency lease before heartbeats).
                "longest_request_seconds": round(
                    max((a.seconds for a in result.acks if a.seconds is not None), default=0.0),
                    3,
                ),
                "failures": result.failures[:5],
                **ctx.figures,
            },
            steps=list(self.steps),
        )


def scenario_on(
    cluster: ClusterBackend,
    runbook: Runbook,
    *,
    token: str,
    journal_dir: Path,
    workers: int = 4,
    settings: Settings | None = None,
    network: NetworkPaths | None = None,
    releaser: Releaser | None = None,
    hosts: HostFaults | None = None,
) -> Scenario:
    """Returns a scenario against a real cluster: HTTP issuance load, SQL checks. With
    `network` the load runs in its kiosk network, 1 s per attempt (DESIGN.md: a short
    deadline and a retry on the other path recover in about that). `hosts` are the
    cluster's hosts in networks of their own (a partition); the caller's thread is then
    in the app tier, and so are the load's threads it starts."""

    def new_load() -> Load:
        if network is not None:
            endpoints, enter = network.endpoints(), network.enter_kiosks
            return IssuanceLoad(
                endpoints, token, journal_dir, workers=workers, attempt_timeout=1.0, enter=enter
            )
        endpoints = cluster.balancer_urls() if runbook.through_balancers else cluster.app_urls()
        return IssuanceLoad(endpoints, token, journal_dir, workers=workers)

    context = ScenarioContext(
        cluster=cluster,
        new_load=new_load,
        ledger=SqlLedger(),
        clock=SYSTEM_CLOCK,
        settings=settings or Settings(),
        network=network,
        releaser=releaser,
        hosts=hosts,
    )
    return Scenario(runbook, context)


def run_scenario(
    cluster: ClusterBackend,
    fault: Runbook,
    *,
    token: str,
    journal_dir: Path,
    workers: int = 4,
    warmup: float = 3.0,
    settle: float = 4.0,
    resume_timeout: float = 60.0,
    heal_timeout: float = 120.0,
    network: NetworkPaths | None = None,
    releaser: Releaser | None = None,
    hosts: HostFaults | None = None,
) -> ScenarioRecord:
    """Runs every step of one fault's runbook under load; returns its record (no assert).
    `network` is the kiosk network of faults that need one (F4), `hosts` the
    partitionable hosts of those that need them (P1); others ignore them."""
    settings = Settings(warmup, settle, resume_timeout, heal_timeout)
    scenario = scenario_on(
        cluster,
        fault,
        token=token,
        journal_dir=journal_dir,
        workers=workers,
        settings=settings,
        network=network if fault.needs_network else None,
        releaser=releaser,
        hosts=hosts if fault.needs_hosts else None,
    )
    return scenario.run_all()
