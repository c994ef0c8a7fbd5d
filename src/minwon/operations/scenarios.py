"""Fault scenarios from DESIGN.md's matrix, run against a LocalCluster under load.

Each reads as a runbook: given a healthy cluster under steady issuance load, when the
fault is injected, then issuance resumes, nothing acknowledged is lost, nothing is issued
twice, and the cluster heals. The record is the same JSON for tests and benchmarks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, text

from minwon.operations.cluster.backend import ClusterBackend as Cluster
from minwon.operations.cluster.faults import ProcessRef, app, etcd, haproxy, patroni, postmaster
from minwon.operations.load import IssuanceLoad, longest_gap


@dataclass
class ScenarioRecord:
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

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.fault}-{self.started_at.replace(':', '')}.json"
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), "utf-8")
        return path


@dataclass(frozen=True)
class Fault:
    """An injected failure and how the operator (or the machine) brings the part back."""

    id: str
    title: str
    inject: Callable[[Cluster], dict[str, Any]]
    heal: Callable[[Cluster, dict[str, Any]], None]
    heal_after: float = 0.0  # seconds after injection before the part comes back


def _kill_postmaster(c: Cluster) -> dict[str, Any]:
    leader = c.leader()
    c.kill(postmaster(leader))
    return {"old_primary": leader}


def _kill_host(c: Cluster) -> dict[str, Any]:
    leader = c.leader()
    c.kill(patroni(leader))
    c.kill(postmaster(leader))
    return {"old_primary": leader}


def _restart_patroni(c: Cluster, info: dict[str, Any]) -> None:
    c.start(patroni(info["old_primary"]))


def _kill_one(process: ProcessRef) -> Callable[[Cluster], dict[str, Any]]:
    def inject(c: Cluster) -> dict[str, Any]:
        c.kill(process)
        return {"old_primary": c.leader(), "killed": [process]}

    return inject


def _kill_etcd_majority(c: Cluster) -> dict[str, Any]:
    killed = [etcd("e1"), etcd("e2")]
    for ref in killed:
        c.kill(ref)
    return {"old_primary": c.leader(), "killed": killed}


def _restart(info_key: str = "killed") -> Callable[[Cluster, dict[str, Any]], None]:
    def heal(c: Cluster, info: dict[str, Any]) -> None:
        for process in info[info_key]:
            c.start(process)

    return heal


def _nothing(_: Cluster, __: dict[str, Any]) -> None:
    """Patroni restarts or replaces PostgreSQL by itself."""


FAULTS: dict[str, Fault] = {
    "F2a": Fault("F2a", "kill -9 of the primary's postmaster", _kill_postmaster, _nothing),
    "F2b": Fault(
        "F2b",
        "kill -9 of the primary's Patroni and PostgreSQL (dead host)",
        _kill_host,
        _restart_patroni,
        heal_after=30.0,
    ),
    "F3": Fault("F3", "one HAProxy killed", _kill_one(haproxy("1")), _restart(), heal_after=5.0),
    "F6": Fault(
        "F6", "one app instance killed mid-load", _kill_one(app("1")), _restart(), heal_after=5.0
    ),
    "F7": Fault(
        "F7", "two of three etcd members killed", _kill_etcd_majority, _restart(), heal_after=10.0
    ),
}


def _check_on(url: str, numbers: list[str]) -> tuple[int, int]:
    """Returns (lost, duplicated) as seen on one database: ``url`` is the new primary."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found: set[str] = set()
            query = text("SELECT number FROM issuances WHERE number IN :n").bindparams(
                bindparam("n", expanding=True)
            )
            for i in range(0, len(numbers), 500):
                chunk = numbers[i : i + 500]
                found.update(r[0] for r in conn.execute(query, {"n": chunk}))
            duplicated = conn.execute(
                text(
                    "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM issuances"
                    " GROUP BY request_ref HAVING COUNT(*) > 1) AS d"
                )
            ).scalar_one()
            extra_fees = conn.execute(
                text(
                    "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM fees"
                    " GROUP BY issuance_id HAVING COUNT(*) > 1) AS f"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return len(set(numbers) - found), int(duplicated) + int(extra_fees)


def run_scenario(
    cluster: Cluster,
    fault: Fault,
    *,
    token: str,
    journal_dir: Path,
    workers: int = 4,
    warmup: float = 3.0,
    settle: float = 4.0,
    resume_timeout: float = 60.0,
    heal_timeout: float = 120.0,
) -> ScenarioRecord:
    """Runs one fault under load and returns its record (does not assert)."""
    cluster.wait_healthy(heal_timeout)
    load = IssuanceLoad(cluster.app_urls(), token, journal_dir, workers=workers)
    load.start()
    time.sleep(warmup)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    injected = time.monotonic()
    info = fault.inject(cluster)
    resumed = None
    while time.monotonic() - injected < resume_timeout:
        if load.acks_since(injected + 0.05) > 0 and resumed is None:
            resumed = time.monotonic()
        if resumed is not None and time.monotonic() - injected >= fault.heal_after:
            break
        time.sleep(0.05)
    fault.heal(cluster, info)
    healed = True
    try:
        cluster.wait_healthy(heal_timeout)
    except Exception:
        healed = False
    time.sleep(settle)
    ended = time.monotonic()
    result = load.stop()
    new_primary = cluster.leader()
    numbers = [a.number for a in result.acks]
    lost, duplicated = _check_on(cluster.member_url(new_primary), numbers)
    keys = {a.key for a in result.acks}
    duplicated += len(result.acks) - len(keys)  # one key acknowledged with two answers
    old = info.get("old_primary")
    if fault.id in ("F2a", "F2b"):
        # Healed means the old primary came back as a replica of the new one.
        healed = healed and old != new_primary
    return ScenarioRecord(
        fault=fault.id,
        title=fault.title,
        started_at=started_at,
        gap_seconds=round(longest_gap(result.acks, injected - 0.5, ended), 3),
        acknowledged=len(result.acks),
        lost=lost,
        duplicated=duplicated,
        failed_requests=len(result.failures),
        healed=healed,
        old_primary=old,
        new_primary=new_primary,
        details={
            "resume_seconds": round(resumed - injected, 3) if resumed else None,
            "acks_after_fault": sum(1 for a in result.acks if a.at > injected),
            "replayed": sum(1 for a in result.acks if a.replayed),
            "max_attempts": max((a.attempts for a in result.acks), default=0),
            "failures": result.failures[:5],
        },
    )
