"""Given a real local cluster (etcd ×3, Patroni ×3, HAProxy ×2, app ×2, a scheduled full
backup), when nothing is wrong then ``minwon inspect`` is 정상 or 미구성 on every check
(exit 0); when a person breaks one part by hand, the check for that part turns 위험 and
the others hold; once repaired it is 정상 again.

The module starts its own small cluster once (like tests/integration/backup): the
inspection reads pgBackRest, which the shared scenario cluster does not back up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.inspection.local import local_ports
from minwon.operations.inspection.model import Grade, InspectionReport, Thresholds
from minwon.operations.inspection.suite import inspect
from support.binaries import require_binaries, require_root
from support.rrn_leaks import assert_no_full_number

Done = subprocess.CompletedProcess[str]

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SCHEDULE = BackupSchedule(
    full_every=timedelta(hours=24), diff_every=timedelta(hours=24), check_every=timedelta(seconds=1)
)
# What this cluster has not got: TLS (no issue has built it), a second site (`--sites 2`).
NOT_CONFIGURED = {"cert.tls", "dr.lag"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    require_binaries("etcd", "haproxy", "patroni", "postgres", "pgbackrest")
    require_root("database processes as minwon-db")
    root = Path(tempfile.mkdtemp(prefix="minwon-inspect-", dir="/var/tmp"))
    local = LocalCluster(root, apps=2, backup_schedule=SCHEDULE)
    try:
        local.up(demo_residents=30)
        log = root / "logs" / "supervisor.log"
        assert wait_until(
            lambda: "scheduled full backup done" in log.read_text(), timeout=90, interval=0.5
        ), log.read_text()[-2000:]
        yield local
    finally:
        local.down()
        shutil.rmtree(root, ignore_errors=True)


def minwon(cluster: LocalCluster, *args: str, group: tuple[str, ...] = ("inspect",)) -> Done:
    argv = [sys.executable, "-m", "minwon.cli.main", *group, *args, "--root", str(cluster.root)]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)


def test_before_any_rehearsal_a_new_cluster_has_its_grace_then_f3_is_rehearsed(
    cluster: LocalCluster,
) -> None:
    before = inspected(cluster)
    assert grades(before)["cluster.failover_rehearsal"] is Grade.OK
    (check,) = [c for c in before.results if c.id == "cluster.failover_rehearsal"]
    assert "기록이 없습니다" in check.reason
    # A cluster that has gone its whole warning time without one is told to rehearse.
    overdue = inspected(cluster, Thresholds(rehearsal_warn_days=0.0, rehearsal_critical_days=1e9))
    assert grades(overdue)["cluster.failover_rehearsal"] is Grade.WARN
    done = minwon(cluster, "F3", group=("cluster", "rehearse"))
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = (cluster.root / "rehearsals").glob("F3-*.json")
    assert json.loads(record.read_text(encoding="utf-8"))["healed"] is True
    assert str(record) in done.stdout.replace("\n", "")
    assert grades(inspected(cluster))["cluster.failover_rehearsal"] is Grade.OK


def inspected(cluster: LocalCluster, thresholds: Thresholds | None = None) -> InspectionReport:
    chosen = thresholds or Thresholds()
    view, records, host = local_ports(cluster, chosen)
    return inspect(cluster=view, records=records, host=host, thresholds=chosen)


def grades(report: InspectionReport) -> dict[str, Grade]:
    return {r.id: r.grade for r in report.results}


def explained(report: InspectionReport) -> str:
    return "\n".join(f"{r.id}: {r.grade.ko} {r.reason}" for r in report.results)


def test_a_healthy_cluster_is_ok_everywhere_with_json_html_and_pdf(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    prom = tmp_path / "textfile" / "minwon.prom"
    done = minwon(
        cluster, "--json", "--html", str(html), "--pdf", str(pdf), "--prometheus", str(prom)
    )
    data: dict[str, Any] = json.loads(done.stdout)
    # The same grades for node_exporter: 0 정상, 1 주의, 2 위험, -1 미구성.
    values = {"ok": "0", "warn": "1", "critical": "2", "not_configured": "-1"}
    for c in data["checks"]:
        assert f'minwon_inspection_grade{{check="{c["id"]}"}} {values[c["grade"]]}\n' in (
            prom.read_text()
        )
    shown = "\n".join(f"{c['id']}: {c['grade_ko']} {c['reason']}" for c in data["checks"])
    assert done.returncode == (0 if data["counts"]["warn"] == 0 else 1), shown + done.stderr
    found = {c["id"]: c["grade"] for c in data["checks"]}
    if found["host.disk"] != "ok":  # this machine's own disk, not the cluster's health
        space = os.statvfs(cluster.root)
        assert 100 * space.f_bavail / space.f_blocks < Thresholds().disk_warn_free_percent
        found["host.disk"] = "ok"
    assert {i for i, g in found.items() if g == "not_configured"} == NOT_CONFIGURED, shown
    assert {i for i, g in found.items() if g != "not_configured"} == {
        i for i, g in found.items() if g == "ok"
    }, shown
    page = html.read_text(encoding="utf-8")
    assert_no_full_number(page, "inspection HTML")
    assert_no_full_number(done.stdout, "inspection JSON")
    assert all(f'id="{i}"' in page for i in found)
    assert pdf.read_bytes().startswith(b"%PDF")
    table = minwon(cluster)  # the person's view: a table, same exit code
    assert table.returncode == done.returncode
    assert "정상" in table.stdout and "backup.last" in table.stdout


def test_one_haproxy_stopped_by_hand_turns_the_paths_check_critical(cluster: LocalCluster) -> None:
    before = grades(inspected(cluster))
    proxy = ProcessRef(ProcessKind.HAPROXY, cluster.spec.haproxies[0].name)
    cluster.stop(proxy)
    try:
        report = inspected(cluster)
    finally:
        cluster.start(proxy)
    after = grades(report)
    assert after["haproxy.paths"] is Grade.CRITICAL, explained(report)
    assert "경로 1" in report.result("haproxy.paths").reason
    moved = {i for i in after if after[i] is not before[i]}
    assert moved == {"haproxy.paths", "cluster.self_healing"}, explained(report)
    assert after["cluster.self_healing"] is Grade.WARN  # a part held down on purpose
    assert wait_until(lambda: grades(inspected(cluster))["haproxy.paths"] is Grade.OK, timeout=20)


def test_a_replica_whose_patroni_is_stopped_turns_members_critical_not_sync_standby(
    cluster: LocalCluster,
) -> None:
    replica = next(m for m in cluster.members() if m != cluster.leader())
    ref = ProcessRef(ProcessKind.PATRONI, replica)
    cluster.stop(ref)
    try:
        assert wait_until(
            lambda: cluster.status().member(replica) is None, timeout=30, interval=0.5
        )
        report = inspected(cluster)
    finally:
        cluster.start(ref)
    after = grades(report)
    assert after["cluster.members"] is Grade.CRITICAL, explained(report)
    assert after["cluster.sync_standby"] is Grade.OK, explained(report)  # 2 of 3 still fine
    bad = {i for i, g in after.items() if g in (Grade.WARN, Grade.CRITICAL)}
    assert bad == {"cluster.members", "cluster.self_healing"}, explained(report)
    assert replica in report.result("config.drift").reason  # compared without it
    cluster.wait_healthy(90)


def test_an_expired_signing_certificate_and_a_missing_font_by_configuration(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(Path(cluster.spec.app_data_dir) / "keys", keys)
    _expire(
        keys / "signing.pem",
        keys / "signing.key.pem",
        keys / "root-ca.pem",
        keys / "root-ca.key.pem",
    )
    limits = tmp_path / "limits.json"
    limits.write_text(
        json.dumps({"keys_dir": str(keys), "font_paths": [str(tmp_path / "NanumGothic.ttf")]})
    )
    done = minwon(
        cluster, "--json", "--thresholds", str(limits), "--check", "cert.", "--check", "rendering."
    )
    data = json.loads(done.stdout)
    found = {c["id"]: c for c in data["checks"]}
    assert done.returncode == 2
    assert (
        found["cert.signing"]["grade"] == "critical" and "만료" in found["cert.signing"]["reason"]
    )
    assert found["rendering.fonts"]["grade"] == "critical"
    assert found["cert.root"]["grade"] == "ok"


def _expire(cert_path: Path, key_path: Path, root_path: Path, root_key_path: Path) -> None:
    """Re-issues the signing certificate with its own key, by the same root, expired."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    old = x509.load_pem_x509_certificate(cert_path.read_bytes())
    root = x509.load_pem_x509_certificate(root_path.read_bytes())
    root_key = serialization.load_pem_private_key(root_key_path.read_bytes(), password=None)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=1))
        .sign(root_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_a_backup_older_than_the_limit_is_critical_and_verify_still_passes(
    cluster: LocalCluster,
) -> None:
    strict = replace(Thresholds(), backup_warn_hours=0.0001, backup_critical_hours=0.0002)
    report = inspected(cluster, strict)
    assert report.result("backup.last").grade is Grade.CRITICAL, explained(report)
    assert report.result("backup.verify").grade is Grade.OK, explained(report)
    assert report.exit_code == 2
