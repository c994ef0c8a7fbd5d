"""The inspection as Prometheus samples, for node_exporter's textfile collector.

``minwon inspect --prometheus /var/lib/prometheus/node-exporter/minwon.prom`` (from cron)
writes one ``minwon_inspection_grade{check="<id>"}`` per check (0 정상, 1 주의, 2 위험,
-1 미구성) and ``minwon_inspection_last_run_timestamp_seconds``; the alert rules
(data/minwon-alerts.yml) fire on each check's grade and on a file that stopped being
renewed. The file is replaced whole (a temporary file renamed over it), so the collector
never reads half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from minwon.operations.inspection.model import Grade, InspectionReport

GRADE_VALUES = {Grade.OK: 0, Grade.WARN: 1, Grade.CRITICAL: 2, Grade.NOT_CONFIGURED: -1}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(report: InspectionReport) -> str:
    """Returns the report in the Prometheus text format (one sample per check)."""
    lines = [
        "# HELP minwon_inspection_grade 예방점검 판정: 0 정상, 1 주의, 2 위험, -1 미구성.",
        "# TYPE minwon_inspection_grade gauge",
    ]
    for r in report.results:
        lines.append(f'minwon_inspection_grade{{check="{_label(r.id)}"}} {GRADE_VALUES[r.grade]}')
    finished = report.started_at.timestamp() + report.seconds
    lines += [
        "# HELP minwon_inspection_last_run_timestamp_seconds 마지막 예방점검이 끝난 시각.",
        "# TYPE minwon_inspection_last_run_timestamp_seconds gauge",
        f"minwon_inspection_last_run_timestamp_seconds {finished:.3f}",
    ]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Replaces `path` with `text` at once (a temporary file in the same folder, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # node_exporter runs as its own user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
