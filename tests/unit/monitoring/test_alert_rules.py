"""The alert rules (src/minwon/data/minwon-alerts.yml) as Prometheus itself reads them.

Debian's promtool checks the file and runs unit tests generated here: every alert fires
on the input that breaks what it guards, with its labels and its Korean annotations
rendered, and stays silent on the healthy input. Every inspection check has its alert,
the list taken from the inspection's registry, so a new check without one fails here.
The textfile ``minwon inspect --prometheus`` writes is read by the same rules.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from minwon.cli.main import app
from minwon.operations.cluster.plan import write_plan
from minwon.operations.cluster.state import ClusterState
from minwon.operations.cluster.topology import hosts_spec
from minwon.operations.inspection.fake import NOW, FakeCluster, FakeHost, FakeRecords
from minwon.operations.inspection.model import Grade, Thresholds
from minwon.operations.inspection.suite import CHECKS, inspect
from minwon.operations.inspection.textfile import (
    GRADE_VALUES,
    prometheus_text,
    write_textfile,
)
from support.binaries import require
from support.cluster_specs import example_local_spec

RULES = Path(str(resources.files("minwon") / "data" / "minwon-alerts.yml"))
APP = {"instance": "app1:8000", "job": "minwon"}
NODE = {"instance": "db1:9100", "job": "node"}


@pytest.fixture(scope="module")
def promtool() -> str:
    return require("promtool")


def _alerts() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {r["alert"]: r for g in data["groups"] for r in g["rules"]}


def _render(template: str, labels: dict[str, str], value: float) -> str:
    """Renders the few template forms the rules use, as Prometheus would."""
    text = re.sub(
        r"\{\{ if ge \$value 2\.0 \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}",
        lambda m: m[1] if value >= 2 else m[2],
        template,
    )
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m[1]], text)
    assert "{{" not in text.replace("{{ $value }}", ""), f"template form the test lacks: {text}"
    return text.replace("{{ $value }}", f"{value:g}")


def _series(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


@dataclass
class Case:
    """One input to the rules and, per alert, what it must raise at `at` (none: silent)."""

    alert: str | list[str]
    series: list[tuple[str, str]]  # (series, values in promtool's notation)
    at: str
    fires: list[tuple[dict[str, str], float]] | list[list[tuple[dict[str, str], float]]] = field(
        default_factory=list
    )

    def test(self, alerts: dict[str, dict[str, Any]]) -> dict[str, Any]:
        names = self.alert if isinstance(self.alert, list) else [self.alert]
        fires: list[Any] = self.fires if isinstance(self.alert, list) else [self.fires]
        return {
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in self.series]
            or [{"series": 'unrelated{job="x"}', "values": "1x5"}],
            "alert_rule_test": [
                {"eval_time": self.at, "alertname": name, "exp_alerts": _expected(alerts[name], f)}
                for name, f in zip(names, fires, strict=True)
            ],
        }


def _expected(rule: dict[str, Any], fires: list[tuple[dict[str, str], float]]) -> list[Any]:
    """Returns the alerts `rule` raises for (labels, value) each: labels and annotations."""
    expected = []
    for labels, value in fires:
        rendered = {k: _render(str(v), labels, value) for k, v in rule["labels"].items()}
        everything = {**labels, **rendered}
        annotations = {k: _render(v, everything, value) for k, v in rule["annotations"].items()}
        expected.append({"exp_labels": everything, "exp_annotations": annotations})
    return expected


GAP = "minwon_issuance_gap_seconds"
OPEN = "minwon_incidents_open"
REQUESTS = "minwon_channel_requests_total"
LAST_RUN = "minwon_inspection_last_run_timestamp_seconds"


def _service_cases() -> list[Case]:
    kiosk = {**APP, "channel": "kiosk"}
    online = {**APP, "channel": "online"}

    def traffic(failed_per_minute: int) -> list[tuple[str, str]]:
        return [
            (_series(REQUESTS, {**kiosk, "outcome": "ok"}), "0+100x20"),
            (_series(REQUESTS, {**kiosk, "outcome": "failed"}), f"0+{failed_per_minute}x20"),
            (_series(REQUESTS, {**online, "outcome": "ok"}), "0+100x20"),
            (_series(REQUESTS, {**online, "outcome": "failed"}), "0+0x20"),
        ]

    up = _series("up", APP)
    return [
        Case(
            "MinwonIssuanceGap",
            [(_series(GAP, APP), "0 0 120 180 240 300")],
            "5m",
            [({"instance": "app1:8000"}, 300)],
        ),
        Case("MinwonIssuanceGap", [(_series(GAP, APP), "0 30 30 0 45 0")], "5m"),
        Case("MinwonIncidentOpen", [(_series(OPEN, APP), "0 2x10")], "8m", [({}, 2)]),
        Case("MinwonIncidentOpen", [(_series(OPEN, APP), "0 2 2 2 0x8")], "8m"),  # short one
        Case("MinwonIncidentsUnreadable", [(_series(OPEN, APP), "-1x10")], "8m", [({}, -1)]),
        Case("MinwonIncidentsUnreadable", [(_series(OPEN, APP), "0 3x9")], "8m"),
        Case("MinwonChannelFailureRatio", traffic(10), "15m", [({"channel": "kiosk"}, 10 / 110)]),
        Case("MinwonChannelFailureRatio", traffic(1), "15m"),
        Case("MinwonMetricsDown", [(up, "1 1 0 0 0 0")], "5m", [(APP, 0)]),
        Case("MinwonMetricsDown", [(up, "1 1 1 1 1 1")], "5m"),
        Case("MinwonInspectionStale", [(_series(LAST_RUN, NODE), "0x100")], "80m", [({}, 4800)]),
        Case("MinwonInspectionStale", [], "15m", [({}, 1)]),  # never written at all
        Case("MinwonInspectionStale", [(_series(LAST_RUN, NODE), "0+60x100")], "80m"),
    ]


def _inspection_alert(check: str) -> str:
    return "MinwonInspection" + "".join(p.capitalize() for p in re.split(r"[._]", check))


def _inspection_cases(grades: dict[str, int]) -> list[Case]:
    """Every check at the grade given: 주의 and 위험 fire with their severity, the rest not."""
    series = [
        (_series("minwon_inspection_grade", {**NODE, "check": c}), f"{g}x5")
        for c, g in grades.items()
    ]
    names = [_inspection_alert(c) for c in grades]
    fires = [[({"check": c}, g)] if g >= 1 else [] for c, g in grades.items()]
    return [Case(names, series, "2m", fires)]


def _run(promtool: str, tmp_path: Path, cases: list[Case]) -> subprocess.CompletedProcess[str]:
    alerts = _alerts()
    tests = tmp_path / "minwon-alerts.test.yml"
    document = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [c.test(alerts) for c in cases],
    }
    tests.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return subprocess.run(
        [promtool, "test", "rules", str(tests)], capture_output=True, text=True, timeout=120
    )


def test_promtool_accepts_the_rules_file(promtool: str) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in done.stdout


def test_every_inspection_check_has_its_alert_and_every_alert_says_it_in_korean() -> None:
    alerts = _alerts()
    checks = {id for id, _, _ in CHECKS}
    covered = {r["labels"]["check"]: name for name, r in alerts.items() if "check" in r["labels"]}
    assert set(covered) == checks
    for check, name in covered.items():
        assert name == _inspection_alert(check)
        assert f'check="{check}"' in alerts[name]["expr"]
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"} or "if ge" in str(
            rule["labels"]["severity"]
        ), name
        for key in ("summary", "description"):
            assert re.search("[가-힣]", rule["annotations"][key]), (name, key)


def test_each_service_alert_fires_when_broken_and_not_when_healthy(
    promtool: str, tmp_path: Path
) -> None:
    cases = _service_cases()
    inspection = {_inspection_alert(id) for id, _, _ in CHECKS}
    assert {c.alert for c in cases} == set(_alerts()) - inspection  # each one, both ways
    done = _run(promtool, tmp_path, cases)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("grade", [2, 1, 0, -1], ids=["위험", "주의", "정상", "미구성"])
def test_every_inspection_alert_fires_on_warn_and_critical_only(
    promtool: str, tmp_path: Path, grade: int
) -> None:
    done = _run(promtool, tmp_path, _inspection_cases({id: grade for id, _, _ in CHECKS}))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_expectation_fails_promtool(promtool: str, tmp_path: Path) -> None:
    # The harness can fail: a healthy input that is said to fire is caught.
    wrong = Case(
        "MinwonIssuanceGap", [(_series(GAP, APP), "0x5")], "5m", [({"instance": "app1:8000"}, 0)]
    )
    done = _run(promtool, tmp_path, [wrong])
    assert done.returncode != 0 and "MinwonIssuanceGap" in done.stdout + done.stderr


def test_the_inspection_textfile_is_valid_and_the_rules_read_it(
    promtool: str, tmp_path: Path
) -> None:
    host = FakeHost()
    host.disks_value = ()  # 위험: no disk measured
    thresholds = Thresholds(timeout_seconds=5, backup_warn_hours=0.0001)  # 주의: backup age
    report = inspect(
        cluster=FakeCluster(), records=FakeRecords(), host=host, thresholds=thresholds, now=NOW
    )
    text = prometheus_text(report)
    lint = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    grades = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "minwon_inspection_grade":
                grades[s.labels["check"]] = int(s.value)
            else:
                assert s.name == LAST_RUN and s.value >= report.started_at.timestamp()
    assert grades == {r.id: GRADE_VALUES[r.grade] for r in report.results}
    assert {2, 1, 0, -1} <= set(grades.values()), grades
    assert grades["host.disk"] == 2 and report.result("host.disk").grade is Grade.CRITICAL
    done = _run(promtool, tmp_path, _inspection_cases(grades))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_textfile_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "textfile" / "minwon.prom"
    write_textfile(target, "old 1\n")
    write_textfile(target, "minwon_inspection_last_run_timestamp_seconds 2\n")
    assert target.read_text() == "minwon_inspection_last_run_timestamp_seconds 2\n"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in target.parent.iterdir()] == ["minwon.prom"]  # no temporary left


def test_the_plan_for_real_hosts_carries_the_rules(promtool: str, tmp_path: Path) -> None:
    written = write_plan(hosts_spec(["10.0.0.11", "10.0.0.12", "10.0.0.13"]), tmp_path)
    rules = tmp_path / "prometheus" / "minwon-alerts.yml"
    assert rules in written and rules.read_text() == RULES.read_text()
    assert "prometheus/minwon-alerts.yml" in (tmp_path / "INSTALL.txt").read_text()
    done = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_minwon_inspect_writes_the_textfile_the_rules_read(promtool: str, tmp_path: Path) -> None:
    # A cluster that was started once and is all down now: every check answers quickly.
    root = tmp_path / "cluster"
    root.mkdir()
    spec = example_local_spec(first_port=47300, run_dir=str(root / "run"))
    ClusterState(
        root=str(root),
        run_dir=str(root / "run"),
        os_user="minwon-db",
        haproxy_bin="/usr/sbin/haproxy",
        python=sys.executable,
        started_at=time.time(),
        spec=spec,
    ).save(root / "state.json")
    target = tmp_path / "textfile" / "minwon.prom"
    target.parent.mkdir()
    target.write_text("stale 1\n")
    done = CliRunner().invoke(
        app, ["inspect", "--root", str(root), "--json", "--prometheus", str(target)]
    )
    assert done.exit_code == 2, done.output  # 위험: nothing runs
    checks = json.loads(done.stdout)["checks"]
    values = {"ok": 0, "warn": 1, "critical": 2, "not_configured": -1}
    grades = {c["id"]: values[c["grade"]] for c in checks}
    text = target.read_text()
    assert "stale" not in text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "minwon_inspection_grade":
                assert grades.pop(s.labels["check"]) == s.value
    assert grades == {}  # each check once
    lint = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
