"""Releasing onto the local cluster: ``FleetReleaser`` on the cluster's own instances,
with drills and the check of which build each process really runs."""

from __future__ import annotations

from pathlib import Path

from minwon import __file__ as package_file
from minwon.operations.cluster.fleet import ClusterFleet
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.workspace import PROBE_SECRET_FILE
from minwon.operations.release import drills
from minwon.operations.release.canary import Timing
from minwon.operations.release.ports import ReleaseSummary, SchemaGate
from minwon.operations.release.releaser import FleetReleaser
from minwon.operations.release.schema import BuildSchemaGate

RUNNING_SOURCE = Path(package_file).resolve().parent.parent  # the src/ of running code


class ClusterReleaser(FleetReleaser):
    """Releases builds onto `cluster`'s app instances and records each release."""

    fleet: ClusterFleet

    def __init__(
        self,
        cluster: LocalCluster,
        work_dir: Path,
        *,
        who: str = "operator",
        timing: Timing | None = None,
        schema: SchemaGate | None = None,
    ) -> None:
        secret = cluster.root / PROBE_SECRET_FILE
        super().__init__(
            ClusterFleet(cluster),
            database_url=cluster.database_url(),
            probe_password=lambda: secret.read_text(encoding="utf-8").strip(),
            schema=schema or BuildSchemaGate(cluster.app_environment()),
            work_dir=work_dir,
            who=who,
            timing=timing,
        )
        self.cluster = cluster

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
