"""Each check, made to fail by breaking one part of a healthy fake world: the right check
turns 주의 or 위험, with a reason and what to do, and no other check moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from minwon.operations.backup.info import StanzaInfo, VerifyReport
from minwon.operations.cluster.status import AppStatus, EtcdStatus, SupervisorStatus
from minwon.operations.inspection.fake import NOW, certificate, second_site_facts
from minwon.operations.inspection.model import Grade
from minwon.operations.inspection.ports import (
    AppFacts,
    ArchiverFacts,
    BackendServer,
    ClockReading,
    DiskUsage,
    DrillFacts,
    EtcdFacts,
    FontFacts,
    PathFacts,
    RehearsalRecord,
)

from .conftest import World

W, C = Grade.WARN, Grade.CRITICAL


def _status(world: World, **changes: object) -> None:
    world.cluster.status_value = replace(world.cluster.status_value, **changes)


def stop_replica(w: World) -> None:  # Patroni of pg3 stopped: not reported any more
    s = w.cluster.status_value
    _status(w, members=s.members[:2])


def no_sync(w: World) -> None:
    for name in ("pg2", "pg3"):
        w.cluster.with_members(name=name, sync=False, role="replica")


def two_leaders(w: World) -> None:
    w.cluster.with_members(name="pg2", role="leader", state="running")


def lag(amount: int) -> Callable[[World], None]:
    return lambda w: w.cluster.with_members(name="pg2", lag_bytes=amount)


def lag_unknown(w: World) -> None:
    w.cluster.with_members(name="pg3", lag_bytes=None)


def timeline_apart(w: World) -> None:
    w.cluster.with_members(name="pg3", timeline=2)


def supervisor_down(w: World) -> None:
    _status(w, supervisor=SupervisorStatus(running=False))


def part_held(w: World) -> None:
    _status(w, supervisor=SupervisorStatus(running=True, last_round_seconds=0.2, held=("app:1",)))


def guard_down(w: World) -> None:
    _status(w, unguarded=("pg2",))


def etcd_one_down(w: World) -> None:
    w.cluster.etcd_value = (
        EtcdFacts("e1", True, 1, "7"),
        EtcdFacts("e2", True, 1, "7"),
        EtcdFacts("e3", False),
    )


def etcd_no_quorum(w: World) -> None:
    w.cluster.etcd_value = (
        EtcdFacts("e1", True, 1, "7"),
        EtcdFacts("e2", False),
        EtcdFacts("e3", False),
    )


def etcd_split(w: World) -> None:
    w.cluster.etcd_value = tuple(EtcdFacts(f"e{i}", True, 1, str(i)) for i in (1, 2, 3))


def etcd_size(size: int) -> Callable[[World], None]:
    return lambda w: setattr(
        w.cluster, "etcd_value", tuple(EtcdFacts(f"e{i}", True, size, "7") for i in (1, 2, 3))
    )


def db_size(size: int) -> Callable[[World], None]:
    return lambda w: setattr(w.cluster, "database_size_value", size)


def path_down(w: World) -> None:
    first, second = w.cluster.paths_value
    w.cluster.paths_value = (replace(first, reaches_primary=False, servers=None), second)


def path_api_silent(w: World) -> None:
    first, second = w.cluster.paths_value
    w.cluster.paths_value = (replace(first, servers=None), second)


def path_app_server_down(w: World) -> None:
    first, second = w.cluster.paths_value
    servers = (
        BackendServer("postgres_primary", "pg1", "UP"),
        BackendServer("minwon_apps", "app1", "DOWN"),
    )
    w.cluster.paths_value = (PathFacts(first.name, True, servers), second)


def app_down(w: World) -> None:
    w.cluster.apps_value = (AppFacts("1", False, "0.1+abc"), AppFacts("2", True, "0.1+abc"))


def app_versions_differ(w: World) -> None:
    w.cluster.apps_value = (AppFacts("1", True, "0.1+abc"), AppFacts("2", True, "0.2+def"))


def no_backup(w: World) -> None:
    w.records.backup_info_value = replace(w.records.backup_info_value, backups=())


def backup_hours(hours: float) -> Callable[[World], None]:
    def change(w: World) -> None:
        info: StanzaInfo = w.records.backup_info_value
        b = info.backups[0]
        stopped = NOW - timedelta(hours=hours)
        w.records.backup_info_value = replace(info, backups=(replace(b, stopped=stopped),))

    return change


def stanza_bad(w: World) -> None:
    w.records.backup_info_value = replace(
        w.records.backup_info_value, status_code=2, status_message="missing stanza path"
    )


def first_backup_running(w: World) -> None:
    w.records.backup_info_value = replace(
        w.records.backup_info_value,
        status_code=2,
        status_message="no valid backups",
        backups=(),
        backup_running=True,
    )


def verify_bad(w: World) -> None:
    w.records.backup_verify_value = VerifyReport(
        False, "error", ("backup X: checksum invalid 1",), ""
    )


def archive(behind: int) -> Callable[[World], None]:
    def change(w: World) -> None:
        a: ArchiverFacts = w.records.archiver_value
        current, last = 0x180, 0x180 - 1 - behind  # across a log boundary (0x100)
        w.records.archiver_value = replace(
            a,
            current_segment=f"{3:08X}{current >> 8:08X}{current & 0xFF:08X}",
            last_archived=f"{3:08X}{last >> 8:08X}{last & 0xFF:08X}",
        )

    return change


def archive_failing(w: World) -> None:
    a: ArchiverFacts = w.records.archiver_value
    w.records.archiver_value = replace(
        a,
        failed_count=3,
        last_failed="000000030000000000000010",
        last_failed_at=NOW - timedelta(seconds=5),
    )


def never_archived(w: World) -> None:
    w.records.archiver_value = replace(
        w.records.archiver_value, last_archived=None, last_archived_at=None
    )


def dr(bytes_behind: int, sampled_ago: float = 0.5) -> Callable[[World], None]:
    return lambda w: setattr(
        w.records, "second_site_value", second_site_facts(bytes_behind, sampled_ago=sampled_ago)
    )


def drill_days(days: float) -> Callable[[World], None]:
    when = NOW - timedelta(days=days)
    return lambda w: setattr(w.records, "drills_value", DrillFacts(when, when, "passed"))


def drill_failed(w: World) -> None:
    w.records.drills_value = DrillFacts(
        NOW - timedelta(days=1), NOW, "failed", "3 issuances missing"
    )


def never_drilled_old_cluster(w: World) -> None:
    w.records.drills_value = DrillFacts(None, None, None)
    w.cluster.commissioned_at_value = NOW - timedelta(days=40)


def rehearsal(days: float, **changes: object) -> Callable[[World], None]:
    record = RehearsalRecord("F2a", NOW - timedelta(days=days), True, 0, 0, "x.json")
    return lambda w: setattr(w.records, "rehearsals_value", (replace(record, **changes),))


def cert(role: str, days: float, **changes: object) -> Callable[[World], None]:
    def change(w: World) -> None:
        others = tuple(c for c in w.host.signing_material_value if c.role != role)
        w.host.signing_material_value = (*others, certificate(role, days_left=days, **changes))

    return change


def tls(days: float) -> Callable[[World], None]:
    def change(w: World) -> None:
        w.thresholds = replace(w.thresholds, tls_certificates=("/etc/tls/a.pem",))
        w.host.tls_value = (certificate("TLS a.pem", days_left=days),)

    return change


def disk(free: float, inodes: float | None = 80.0) -> Callable[[World], None]:
    return lambda w: setattr(w.host, "disks_value", (DiskUsage("/var", "데이터", free, inodes, 1),))


def clock(offset: float, resolution: float = 0.0) -> Callable[[World], None]:
    return lambda w: setattr(
        w.cluster,
        "clocks_value",
        (ClockReading("postgres:pg1", 0.0), ClockReading("postgres:pg2", offset, resolution)),
    )


def clocks_silent(w: World) -> None:
    w.cluster.clocks_value = (ClockReading("postgres:pg1", None),)


def font_missing(w: World) -> None:
    w.host.fonts_value = (FontFacts("/usr/share/fonts/x.ttf", False, "No such file"),)


def catalog_broken(w: World) -> None:
    w.host.catalog_value = ValueError("deungbon: template deungbon.yaml.j2 not found")


def drift(kind: str) -> Callable[[World], None]:
    def change(w: World) -> None:
        a, b, c = w.cluster.configs_value
        if kind == "file":
            b = replace(b, files={"patroni.yml": "a: 2\n"})
        elif kind == "setting":
            b = replace(b, settings={"max_connections": "200"})
        elif kind == "dcs":
            b = replace(b, dcs={"ttl": 30})
        else:
            b, c = replace(b, settings=None), replace(c, dcs=None)
        w.cluster.configs_value = (a, b, c)

    return change


BREAKS: list[tuple[str, Callable[[World], None], Grade]] = [
    ("cluster.members", stop_replica, C),
    ("cluster.members", two_leaders, C),
    ("cluster.members", lambda w: w.cluster.with_members(name="pg2", state="starting"), C),
    ("cluster.sync_standby", no_sync, C),
    ("cluster.replication_lag", lag(2 * 1024 * 1024), W),
    ("cluster.replication_lag", lag(64 * 1024 * 1024), C),
    ("cluster.replication_lag", lag_unknown, C),
    ("cluster.timelines", timeline_apart, C),
    ("cluster.self_healing", supervisor_down, C),
    ("cluster.self_healing", guard_down, C),
    ("cluster.self_healing", part_held, W),
    ("etcd.quorum", etcd_one_down, C),
    ("etcd.quorum", etcd_no_quorum, C),
    ("etcd.quorum", etcd_split, C),
    ("etcd.db_size", etcd_size(1200 * 1024 * 1024), W),
    ("etcd.db_size", etcd_size(1900 * 1024 * 1024), C),
    ("database.size", db_size(60 * 1024**3), W),
    ("database.size", db_size(300 * 1024**3), C),
    ("haproxy.paths", path_down, C),
    ("haproxy.paths", path_api_silent, C),
    ("haproxy.paths", path_app_server_down, W),
    ("app.instances", app_down, C),
    ("app.instances", app_versions_differ, W),
    ("backup.last", no_backup, C),
    ("backup.last", backup_hours(30), W),
    ("backup.last", backup_hours(50), C),
    ("backup.last", stanza_bad, C),
    ("backup.last", first_backup_running, W),  # a new cluster's, under way: not yet 위험
    ("backup.verify", verify_bad, C),
    ("backup.wal_archive", archive(6), W),
    ("backup.wal_archive", archive(4), Grade.OK),
    ("backup.wal_archive", archive(200), C),
    ("backup.wal_archive", archive(33), C),
    ("backup.wal_archive", archive_failing, C),
    ("backup.wal_archive", never_archived, C),
    ("dr.lag", dr(20 * 1024 * 1024), W),
    ("dr.lag", dr(100 * 1024 * 1024), C),
    ("dr.lag", dr(0, sampled_ago=60), C),
    ("backup.drill", drill_days(45), W),
    ("backup.drill", drill_days(100), C),
    ("backup.drill", drill_failed, C),
    ("backup.drill", never_drilled_old_cluster, W),
    ("cluster.failover_rehearsal", rehearsal(100), W),
    ("cluster.failover_rehearsal", rehearsal(200), C),
    ("cluster.failover_rehearsal", rehearsal(1, lost=2), C),
    ("cert.signing", cert("signing", 20), W),
    ("cert.signing", cert("signing", 3), C),
    ("cert.signing", cert("signing", -1), C),
    ("cert.signing", cert("signing", 300, key_matches=False), C),
    ("cert.signing", cert("signing", 300, key_present=False), C),
    ("cert.signing", cert("signing", 300, problems=("루트 인증서가 서명한 인증서가 아님",)), C),
    ("cert.root", cert("root", -5), C),
    ("cert.root", cert("root", 300, key_private=False), C),
    ("cert.root", cert("root", 300, not_before=NOW + timedelta(days=1)), C),
    ("cert.tls", tls(10), W),
    ("cert.tls", tls(-1), C),
    ("host.disk", disk(15), W),
    ("host.disk", disk(5), C),
    ("host.disk", disk(50, inodes=4), C),
    ("host.clock_skew", clock(1.0), W),
    ("host.clock_skew", clock(5.0), C),
    ("host.clock_skew", clock(3.5, resolution=1.0), C),
    ("host.clock_skew", clocks_silent, C),
    ("rendering.fonts", font_missing, C),
    ("catalog.valid", catalog_broken, C),
    ("catalog.valid", lambda w: setattr(w.host, "catalog_value", 0), C),
    ("config.drift", drift("file"), W),
    ("config.drift", drift("setting"), W),
    ("config.drift", drift("dcs"), W),
    ("config.drift", drift("two_unread"), C),
]


@pytest.mark.parametrize(
    ("check", "breaking", "expected"),
    BREAKS,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BREAKS)],
)
def test_breaking_one_part_turns_its_check_and_no_other(
    world: World, check: str, breaking: Callable[[World], None], expected: Grade
) -> None:
    before = {r.id: r.grade for r in world.inspect().results}
    breaking(world)
    report = world.inspect()
    result = report.result(check)
    assert result.grade is expected, result
    assert result.reason and (result.action or expected is Grade.OK), result
    moved = {r.id for r in report.results if r.grade is not before[r.id]} - {check}
    # A member gone also takes its lag and timeline away; nothing unrelated moves.
    assert moved <= {"cluster.replication_lag", "cluster.timelines"}, moved


def test_every_check_has_a_break_that_fails_it() -> None:
    from minwon.operations.inspection.suite import CHECKS

    broken = {c for c, _, g in BREAKS if g in (W, C)}
    assert {id for id, _, _ in CHECKS} == broken


def test_a_clock_reading_of_one_second_resolution_forgives_that_second(world: World) -> None:
    clock(1.4, resolution=1.0)(world)
    assert world.inspect("host.clock_skew").results[0].grade is Grade.OK


def test_a_young_cluster_never_drilled_is_not_late_yet(world: World) -> None:
    world.records.drills_value = DrillFacts(None, None, None)
    result = world.inspect("backup.drill").results[0]
    assert result.grade is Grade.OK and "기록이 없습니다" in result.reason


def test_an_app_status_with_ready_apps_is_read_from_the_apps_port_not_status(world: World) -> None:
    _status(world, apps=(AppStatus("1", "u", False),), etcd=(EtcdStatus("e1", "u", False),))
    report = world.inspect("app.", "etcd.")
    assert {r.grade for r in report.results} == {Grade.OK}


def test_drift_compares_the_nodes_that_answer_and_names_the_silent_one(world: World) -> None:
    a, b, c = world.cluster.configs_value
    world.cluster.configs_value = (a, replace(b, settings=None), c)
    result = world.inspect("config.drift").results[0]
    assert result.grade is Grade.OK and "pg2" in result.reason
    world.cluster.configs_value = (a, replace(b, settings=None), replace(c, files={"x": "1"}))
    assert world.inspect("config.drift").results[0].grade is Grade.WARN


def test_without_a_supervisor_self_healing_is_not_configured_not_ok(world: World) -> None:
    _status(world, supervisor=None)
    result = world.inspect("cluster.self_healing").results[0]
    assert result.grade is Grade.NOT_CONFIGURED and "systemd" in result.reason


def test_a_history_file_or_partial_segment_last_archived_is_read_not_an_error(world: World) -> None:
    for name in ("00000004.history", "00000003000000000000000F.partial"):
        world.records.archiver_value = replace(world.records.archiver_value, last_archived=name)
        assert world.inspect("backup.wal_archive").results[0].grade is Grade.OK, name
