"""The ``minwon`` command as an operator meets it: help in Korean, plain error messages."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MINWON = str(Path(sys.executable).parent / "minwon")
HANGUL = re.compile(r"[가-힣]")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINWON_")}
    env.update(MINWON_DATA_DIR=str(data_dir), COLUMNS="200")
    env["XDG_CONFIG_HOME"] = str(data_dir / "config")  # not the tester's installed bundle
    return env


def _run(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MINWON, *args],
        env=_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _plain_failure(done: subprocess.CompletedProcess[str]) -> str:
    """Asserts a non-zero exit with a short Korean message and no traceback; returns it."""
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert HANGUL.search(output), output
    return output


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after ``minwon init`` and ``minwon demo-data`` (keys inside it)."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    data_dir.mkdir()
    for args in (("init",), ("demo-data", "--residents", "200", "--seed", "3")):
        done = _run(data_dir, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (data_dir / "keys" / "signing.pem").exists()
    return data_dir


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("init",),
        ("demo-data",),
        ("serve",),
        ("issue",),
        ("verify",),
        ("keys", "init"),
        ("keys", "rotate-token"),
        ("audit", "verify"),
        ("audit", "checkpoint"),
        ("trust", "export"),
        ("trust", "install"),
        ("trust", "show"),
        ("cluster", "runbook"),
        ("cluster", "kill"),
        ("cluster", "start"),
    ],
    ids=lambda c: " ".join(c) or "minwon",
)
def test_every_command_explains_itself_in_korean(tmp_path: Path, command: tuple[str, ...]) -> None:
    done = _run(tmp_path, *command, "--help", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Usage" in done.stdout and HANGUL.search(done.stdout), done.stdout
    assert not (tmp_path / "minwon.sqlite3").exists()  # asking for help changes nothing


def test_keys_init_refuses_to_overwrite_keys_unless_forced(tmp_path: Path) -> None:
    first = _run(tmp_path, "keys", "init", timeout=60)
    assert first.returncode == 0, first.stdout + first.stderr
    signing = (tmp_path / "keys" / "signing.pem").read_bytes()
    second = _run(tmp_path, "keys", "init", timeout=60)
    message = _plain_failure(second)
    assert "keys.exist" in message and "--force" in message
    assert (tmp_path / "keys" / "signing.pem").read_bytes() == signing
    forced = _run(tmp_path, "keys", "init", "--force", timeout=60)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (tmp_path / "keys" / "signing.pem").read_bytes() != signing


def test_citizen_issues_a_deungbon_from_the_command_line(demo_dir: Path) -> None:
    out = demo_dir / "cli-deungbon.pdf"
    done = _run(demo_dir, "issue", "deungbon", "--as", "citizen:citizen1", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d{4}-\d{4}-\d{4}-\d{4}", done.stdout), done.stdout
    assert out.read_bytes().startswith(b"%PDF")
    checked = _run(demo_dir, "verify", str(out), "--offline")
    # Offline the signature holds, but nobody asked the record whether it was voided.
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert "서명은 유효하나 취소·만료 여부는 확인하지 못했습니다" in checked.stdout
    assert "유효한 문서입니다" not in checked.stdout


def test_documents_signed_before_a_token_key_rotation_still_verify(
    demo_dir: Path, tmp_path: Path
) -> None:
    before = tmp_path / "before.pdf"
    after = tmp_path / "after.pdf"
    issued = _run(demo_dir, "issue", "chobon", "--as", "citizen:citizen2", "--out", str(before))
    assert issued.returncode == 0, issued.stdout + issued.stderr
    rotated = _run(demo_dir, "keys", "rotate-token")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    issued = _run(demo_dir, "issue", "chobon", "--as", "citizen:citizen2", "--out", str(after))
    assert issued.returncode == 0, issued.stdout + issued.stderr

    # A third party installs the bundle exported after the rotation: both keys are in it.
    bundle = tmp_path / "bundle.json"
    exported = _run(demo_dir, "trust", "export", "--out", str(bundle))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    keys = json.loads(bundle.read_text())["token_keys"]
    assert len(keys) == 2 and sum(1 for k in keys if k["retired_at"] is None) == 1
    assert "PRIVATE" not in bundle.read_text()
    outsider = tmp_path / "outsider"
    outsider.mkdir()
    installed = _run(outsider, "trust", "install", str(bundle))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "지문을 확인하지 않고" in installed.stdout
    shown = _run(outsider, "trust", "show")
    assert shown.returncode == 0 and "폐기" in shown.stdout, shown.stdout + shown.stderr
    for pdf in (before, after):
        checked = _run(outsider, "verify", str(pdf), "--offline")
        assert checked.returncode == 3, checked.stdout + checked.stderr
        assert "설치한 신뢰 묶음" in checked.stdout


def test_audit_verify_names_the_first_edited_row_of_a_copy(demo_dir: Path, tmp_path: Path) -> None:
    for n in range(2):
        out = tmp_path / f"audit-{n}.pdf"
        done = _run(demo_dir, "issue", "deungbon", "--as", "citizen:citizen3", "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
    signed = _run(demo_dir, "audit", "checkpoint")
    assert signed.returncode == 0 and "검증점" in signed.stdout, signed.stdout + signed.stderr
    intact = _run(demo_dir, "audit", "verify")
    assert intact.returncode == 0 and "온전합니다" in intact.stdout, intact.stdout + intact.stderr

    copy = tmp_path / "copy"
    shutil.copytree(demo_dir / "keys", copy / "keys")
    source = sqlite3.connect(demo_dir / "minwon.sqlite3")
    target = sqlite3.connect(copy / "minwon.sqlite3")
    source.backup(target)
    source.close()
    target.execute("UPDATE audit_events SET purpose = '고친 목적' WHERE seq = 1")
    target.commit()
    target.close()
    broken = _run(copy, "audit", "verify")
    message = _plain_failure(broken)
    assert broken.returncode == 1
    assert "audit.edited" in message and "1번" in message


def test_an_unknown_document_type_fails_with_a_plain_message(demo_dir: Path) -> None:
    done = _run(demo_dir, "issue", "nosuchtype", "--as", "citizen:citizen1")
    assert done.returncode == 1
    assert "catalog.unknown_type" in _plain_failure(done)
    assert not (demo_dir / "document.pdf").exists()


def test_verifying_a_file_that_is_not_a_pdf_fails_with_a_plain_message(demo_dir: Path) -> None:
    garbage = demo_dir / "garbage.pdf"
    garbage.write_bytes(b"this is not a PDF at all\x00\xff" * 20)
    done = _run(demo_dir, "verify", str(garbage), "--offline")
    _plain_failure(done)


def test_a_bad_setting_is_one_plain_line_naming_the_variable(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"MINWON_SESSION_HOURS": "eight"}
    done = subprocess.run(
        [MINWON, "init"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    message = _plain_failure(done)
    assert done.returncode == 2
    assert "settings.invalid" in message and "MINWON_SESSION_HOURS" in message
    assert not (tmp_path / "minwon.sqlite3").exists()


def test_only_init_creates_a_database(tmp_path: Path) -> None:
    keys = _run(tmp_path, "keys", "init", timeout=60)
    assert keys.returncode == 0, keys.stdout + keys.stderr
    for command in (("demo-data", "--residents", "10"), ("serve", "--port", "9")):
        message = _plain_failure(_run(tmp_path, *command, timeout=60))
        assert "database.missing" in message and "minwon init" in message
    assert not (tmp_path / "minwon.sqlite3").exists()
    assert _run(tmp_path, "init", timeout=120).returncode == 0
    assert (tmp_path / "minwon.sqlite3").exists()
