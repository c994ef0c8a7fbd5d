"""Releasing onto a fleet: the canary (``canary.py``) wired to the instances, their
``/metrics``, the probe account, the schema gate and the ``releases`` table.

``FleetReleaser`` is the same for every fleet; ``HostReleaser`` adds what real hosts need
(the build is shipped to every host before the rollout). The local cluster's releaser is
``operations/cluster/releasing.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from minwon.adapters.database import make_engine
from minwon.adapters.release_store import ReleaseStore
from minwon.operations.incidents.store import IncidentStore, SqlIncidents, StoreUnavailableError
from minwon.operations.release import builds
from minwon.operations.release.builds import Build, BuildError
from minwon.operations.release.canary import Release, ReleaseReport, Timing
from minwon.operations.release.host_fleet import HostFleet
from minwon.operations.release.incident import rollback_incident
from minwon.operations.release.metrics import MetricsObserver
from minwon.operations.release.ports import Fleet, SchemaGate
from minwon.operations.release.probe import ProbeCredentials, ProbeResult, run_probe

log = structlog.get_logger("minwon.release")


class FleetReleaser:
    """Releases builds onto `fleet` and records each release in the apps' database."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        database_url: str,
        probe_password: Callable[[], str],
        schema: SchemaGate,
        work_dir: Path,
        who: str = "operator",
        timing: Timing | None = None,
        metrics_token: str = "",
        incidents: IncidentStore | None = None,
    ) -> None:
        self.fleet = fleet
        self.database_url = database_url
        self.probe_password = probe_password
        self.schema = schema
        self.work_dir = Path(work_dir)
        self.who = who
        self.timing = timing or Timing()
        self.last: ReleaseReport | None = None
        self.metrics_token = metrics_token
        self.incidents = incidents  # None: the incidents table of the apps' database

    def _probe(self, url: str) -> ProbeResult:
        credentials = ProbeCredentials(password=self.probe_password())
        return run_probe(url, credentials, deadline=self.timing.probe_deadline)

    def prepare(self, source: Path) -> Build:
        """Installs the code in `source` as a build beside the running one."""
        return builds.prepare(source, self.work_dir / "releases")

    def release(self, build: Build) -> ReleaseReport:
        """Rolls `build` out (or back), records the release, returns its report."""
        observer = MetricsObserver(self.fleet.url, token=self.metrics_token)
        try:
            release = Release(self.fleet, observer, self._probe, self.schema, timing=self.timing)
            report = release.run(build, who=self.who)
        finally:
            observer.close()
        engine = make_engine(self.database_url)
        try:
            ReleaseStore(engine).record(report.to_row())
            self._record_incident(report, self.incidents or SqlIncidents(engine))
        finally:
            engine.dispose()
        self.last = report
        return report

    def _record_incident(self, report: ReleaseReport, store: IncidentStore) -> None:
        """Stores the incident a rollback is (the watcher cannot tell it from a release
        that went well); a store that fails is logged: the release is recorded already."""
        incident = rollback_incident(report)
        if incident is None:
            return
        try:
            store.save([incident])
        except StoreUnavailableError as exc:
            log.warning("release.incident_not_stored", id=incident.id, error=str(exc))


class HostReleaser(FleetReleaser):
    """Releases onto real hosts: a build is prepared here, then installed beside the
    running one on every host before the first instance is touched."""

    fleet: HostFleet

    def prepare(self, source: Path) -> Build:
        """Prepares the build here and installs it on every host (FleetError if one
        cannot take it: nothing has been switched yet)."""
        build = super().prepare(source)
        self.fleet.install(build)
        return build

    def contract(self) -> list[str]:
        """Applies the contracting migrations of the build the instances run, asking
        each serving build's copy on this machine (a build this machine never prepared
        holds every contract back)."""
        serving = []
        for name in self.fleet.instances():
            remote = self.fleet.build_of(name)
            try:
                serving.append(builds.load(self.work_dir / "releases" / remote.id))
            except BuildError:
                serving.append(remote)
        return self.schema.contract(serving[0], serving)
