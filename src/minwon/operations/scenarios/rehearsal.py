"""A failover rehearsal on a running cluster: one fault's runbook under load, its record kept.

The city rehearses its failovers the way the tests run them: the same runbook, steps and
checks (nothing lost, nothing issued twice, the cluster healed), on its own cluster, with
a synthetic citizen's issuance load. The record goes to ``<root>/rehearsals`` where
``minwon inspect`` grades the age of the last rehearsal that held
(``cluster.failover_rehearsal``). A rehearsal that did not hold is recorded too: the
inspection does not count it, and the operator sees why in the record's steps.

Faults that need a kiosk network (F4) or hosts in namespaces of their own (P1) are run by
the scenario tests only: a running cluster has neither.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.operations.cluster.backend import ClusterBackend
from minwon.operations.scenarios.record import ScenarioRecord
from minwon.operations.scenarios.release_runbooks import BAD_RELEASES
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.runbooks import RUNBOOKS
from minwon.operations.scenarios.runner import run_scenario

# The faults a running cluster can rehearse as it is (a bad release is rehearsed with
# `minwon release drill`, which builds the broken release it needs).
REHEARSABLE: tuple[str, ...] = tuple(
    fault
    for fault, r in RUNBOOKS.items()
    if not r.needs_network and not r.needs_hosts and r not in BAD_RELEASES
)


def rehearsals_dir(root: Path) -> Path:
    """Returns where a cluster's rehearsal records are kept."""
    return root / "rehearsals"


@dataclass(frozen=True)
class Rehearsal:
    """One rehearsal's record and where it was written."""

    record: ScenarioRecord
    path: Path

    @property
    def held(self) -> bool:
        """Returns True when the cluster healed with nothing lost, doubled or failed."""
        r = self.record
        return r.healed and r.lost == 0 and r.duplicated == 0 and not r.failed_steps


def rehearse(
    cluster: ClusterBackend,
    root: Path,
    runbook: Runbook,
    *,
    citizen: tuple[str, str],
    workers: int = 2,
) -> Rehearsal:
    """Runs `runbook` on `cluster` under the load of `citizen` (user name, password)
    and writes its record under ``<root>/rehearsals``. Raises ValueError for a fault a
    running cluster cannot rehearse, ``ClientError`` when the citizen cannot sign in."""
    if runbook.fault not in REHEARSABLE:
        raise ValueError(runbook.fault)
    with tempfile.TemporaryDirectory(prefix="rehearsal-", dir=root) as work:
        journal = KeyJournal(Path(work) / "login.sqlite3")
        client = RetryingClient(cluster.app_urls(), journal)
        try:
            token = client.login("citizen", *citizen)
        finally:
            client.close()
            journal.close()
        record = run_scenario(
            cluster, runbook, token=token, journal_dir=Path(work) / "load", workers=workers
        )
    return Rehearsal(record, record.write(rehearsals_dir(root)))
