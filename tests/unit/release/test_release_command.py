"""``minwon release run`` refuses what it cannot act on with one plain line and a stable
code, before anything is prepared, shipped or switched."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from minwon.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["release", "run", *args])
    return done.exit_code, done.output


def test_a_missing_source_is_refused(tmp_path: Path) -> None:
    code, said = _run("--source", str(tmp_path / "nope"))
    assert code == 2 and "release.source_missing" in said


def test_real_hosts_need_the_fleet_the_settings_and_the_probe_password(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    fleet = tmp_path / "fleet.json"
    code, said = _run("--source", str(source), "--fleet", str(fleet))
    assert code == 2 and "release.usage" in said
    env, probe = tmp_path / "app.env", tmp_path / "probe.secret"
    probe.write_text("pw\n")
    args = ("--source", str(source), "--fleet", str(fleet), "--env-file", str(env))
    code, said = _run(*args, "--probe-password-file", str(probe))
    assert code == 2 and "release.fleet_invalid" in said  # no fleet.json yet
    fleet.write_text(
        '{"apps": [{"name": "1", "host": "h", "url": "http://h:8000", "host_command": ["m"]}],'
        ' "balancers": []}'
    )
    code, said = _run(*args, "--probe-password-file", str(probe))
    assert code == 2 and "release.file_missing" in said  # no app.env
    env.write_text("MINWON_DATABASE_URL=postgresql+psycopg://minwon:${MINWON_DB_PASSWORD}@/m\n")
    code, said = _run(*args, "--probe-password-file", str(probe))
    assert code == 2 and "release.env_invalid" in said  # the placeholder was never filled
    assert "Traceback" not in said
