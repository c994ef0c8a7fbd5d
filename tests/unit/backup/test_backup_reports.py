"""Reading pgBackRest's reports: ``info --output=json`` and ``verify --output=text``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minwon.operations.backup.info import (
    InfoFormatError,
    human_size,
    parse_info,
    parse_verify,
)
from minwon.operations.backup.pgbackrest import shorten

# A real answer of pgBackRest 2.45 (Debian's package): one full and one differential.
INFO = (Path(__file__).parent / "pgbackrest_info.json").read_text()

BROKEN = """stanza: minwon
status: error
  archiveId: 15-1, total WAL checked: 5, total valid WAL: 5
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261203-205148F, status: invalid, total files checked: 964, total valid files: 963
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
  backup: 20261203-205148F_20261203-205152D, status: invalid, total files checked: 965, \
total valid files: 964
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
"""
WHOLE = """stanza: minwon
status: ok
  archiveId: 15-1, total WAL checked: 5, total valid WAL: 5
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261203-205148F, status: valid, total files checked: 964, total valid files: 964
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
"""


def test_info_lists_the_backups_oldest_first_with_sizes_times_and_wal_range() -> None:
    info = parse_info(INFO, "minwon")
    assert info.ok and info.status_message == "ok"
    assert (info.wal_min, info.wal_max) == (
        "000000010000000000000001",
        "000000010000000000000005",
    )
    full, diff = info.backups
    assert (full.label, full.type, diff.type) == ("20261203-205148F", "full", "diff")
    assert full.started == datetime.fromtimestamp(1796331108, tz=UTC) and full.seconds == 3
    assert (full.size, full.repo_size, full.repo_delta) == (22992324, 4533920, 4533920)
    assert diff.prior == full.label and diff.delta < diff.size
    assert (diff.wal_start, diff.wal_stop) == ("000000010000000000000005",) * 2
    assert info.latest("full") == full and info.latest("full", "diff") == diff
    assert info.latest("incr") is None
    assert diff.to_dict()["repo_size"] == 5383939


def test_an_empty_repository_has_no_backups_and_a_stanza_error_is_kept() -> None:
    raw = json.loads(INFO)
    raw[0]["backup"], raw[0]["archive"] = [], []
    raw[0]["status"] = {"code": 2, "message": "no valid backups"}
    info = parse_info(json.dumps(raw), "minwon")
    assert not info.ok and info.status_message == "no valid backups"
    assert info.backups == () and info.wal_max is None and info.latest() is None
    assert not info.backup_running
    raw[0]["status"]["lock"] = {"backup": {"held": True}}  # the first one under way
    assert parse_info(json.dumps(raw), "minwon").backup_running


@pytest.mark.parametrize("text", ["", "not json", "[]", '[{"name": "minwon"}]', "{}"])
def test_text_that_is_not_pgbackrest_info_is_a_format_error(text: str) -> None:
    with pytest.raises(InfoFormatError):
        parse_info(text, "minwon")


def test_verify_names_each_backup_whose_file_failed_its_checksum() -> None:
    report = parse_verify(BROKEN)
    assert not report.ok and report.status == "error"
    assert report.problems == (
        "backup 20261203-205148F: checksum invalid 1",
        "backup 20261203-205148F_20261203-205152D: checksum invalid 1",
    )


def test_verify_is_ok_only_when_it_says_ok_and_counts_nothing_wrong() -> None:
    assert parse_verify(WHOLE).ok
    assert not parse_verify("").ok  # pgBackRest said nothing: nothing was proven
    missing_wal = WHOLE.replace(
        "missing: 0, checksum invalid: 0", "missing: 2, checksum invalid: 0", 1
    )
    report = parse_verify(missing_wal)
    assert not report.ok and report.problems == ("archiveId 15-1: missing 2",)


def test_pgbackrest_output_is_shortened_to_its_error_lines() -> None:
    said = "WARN: something minor\nERROR: [056]: unable to find primary cluster\n"
    assert shorten(said) == "ERROR: [056]: unable to find primary cluster"
    assert shorten("") == "(출력 없음)"
    assert len(shorten("x" * 1000)) == 400


def test_sizes_read_as_a_person_reads_them() -> None:
    assert [human_size(n) for n in (512, 4533920, 3 * 1024**3)] == [
        "512 B",
        "4.3 MiB",
        "3.0 GiB",
    ]
