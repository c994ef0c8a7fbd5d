"""Releasing onto the local cluster: the canary (``operations/release``) wired to real
instances, HAProxy, ``/metrics``, the probe account and the ``releases`` table."""

from __future__ import annotations

from pathlib import Path

from minwon import __file__ as package_file
from minwon.adapters.database import make_engine
from minwon.adapters.release_store import ReleaseStore
from minwon.operations.cluster.fleet import ClusterFleet
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.workspace import PROBE_SECRET_FILE
from minwon.operations.release import builds, drills
from minwon.operations.release.builds import Build
from minwon.operations.release.canary import Release, ReleaseReport, Timing
from minwon.operations.release.metrics import MetricsObserver
from minwon.operations.release.ports import ReleaseSummary, SchemaGate
from minwon.operations.release.probe import ProbeCredentials, ProbeResult, run_probe
from minwon.operations.release.schema import BuildSchemaGate

RUNNING_SOURCE = Path(package_file).resolve().parent.parent  # the src/ of running code


class ClusterReleaser:
    """Releases builds onto `cluster`'s app instances and records each release."""

    def __init__(
        self,
        cluster: LocalCluster,
        work_dir: Path,
        *,
        who: str = "operator",
        timing: Timing | None = None,
        schema: SchemaGate | None = None,
    ) -> None:
        self.cluster = cluster
        self.work_dir = Path(work_dir)
        self.who = who
        self.timing = timing or Timing()
        self.fleet = ClusterFleet(cluster)
        self.schema = schema or BuildSchemaGate(cluster.app_environment())
        self.last: ReleaseReport | None = None

    def _probe(self, url: str) -> ProbeResult:
        secret = (self.cluster.root / PROBE_SECRET_FILE).read_text(encoding="utf-8").strip()
        return run_probe(
            url, ProbeCredentials(password=secret), deadline=self.timing.probe_deadline
        )

    def prepare(self, source: Path) -> Build:
        """Installs the code in `source` as a build beside the running one."""
        return builds.prepare(source, self.work_dir / "releases")

    def release(self, build: Build) -> ReleaseReport:
        """Rolls `build` out (or back), records the release, returns its report."""
        observer = MetricsObserver(self.fleet.url)
        try:
            release = Release(self.fleet, observer, self._probe, self.schema, timing=self.timing)
            report = release.run(build, who=self.who)
        finally:
            observer.close()
        engine = make_engine(self.cluster.database_url())
        try:
            ReleaseStore(engine).record(report.to_row())
        finally:
            engine.dispose()
        self.last = report
        return report

    def release_drill(self, kind: str) -> ReleaseSummary:
        """Makes drill build `kind` from the running code, releases it, and sums up."""
        source = drills.make_drill(kind, RUNNING_SOURCE, self.work_dir / "drills" / kind)
        build = self.prepare(source)
        before = self.builds()
        report = self.release(build)
        failed = next((s.name for s in report.steps if not s.ok), None)
        return ReleaseSummary(
            outcome=report.outcome.value if report.outcome else "unknown",
            code=report.code,
            reason=report.reason,
            decision_seconds=report.decision_seconds,
            rolled_back_seconds=report.rolled_back_seconds,
            builds_before=before,
            builds_after=self.builds(),
            failed_step=failed,
            timeline=", ".join(
                f"{s.name}{'' if s.ok else ' ✗'} {s.seconds:.1f} s" for s in report.steps
            ),
        )

    def contract(self) -> list[str]:
        """Applies the contracting migrations of the build the instances run; the gate
        refuses (SchemaGateError) while any instance runs a build that lacks them."""
        serving = [self.fleet.build_of(name) for name in self.fleet.instances()]
        return self.schema.contract(serving[0], serving)

    def builds(self) -> dict[str, str]:
        """Returns the build id each instance runs now, checked against its process: an
        instance whose process runs another Python than its build's is reported so."""
        found = {}
        for name in self.fleet.instances():
            build, python = self.fleet.build_of(name), self.fleet.process_python(name)
            found[name] = build.id if python == build.python else f"{build.id}≠{python}"
        return found
