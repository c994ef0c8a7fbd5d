"""Settings come from MINWON_* variables into typed sections; a bad value names itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from minwon.config import VARIABLES, Settings, SettingsError


def test_every_variable_lands_in_its_section(tmp_path: Path) -> None:
    env = {
        "MINWON_DATA_DIR": str(tmp_path),
        "MINWON_DATABASE_URL": "postgresql+psycopg://minwon@127.0.0.1:5433/minwon",
        "MINWON_DB_RETRY_SECONDS": "2.5",
        "MINWON_SESSION_HOURS": "4",
        "MINWON_KIOSK_SESSION_MINUTES": "3",
        "MINWON_LOGIN_RATE_PER_MINUTE": "7",
        "MINWON_ONLINE_OFFICE_CODE": "4511100000",
        "MINWON_IDEMPOTENCY_LEASE_SECONDS": "15",
        "MINWON_VERIFY_RATE_PER_MINUTE": "300",
        "MINWON_LOG_JSON": "1",
        "MINWON_AVAILABILITY_TARGET": "99.9",
    }
    s = Settings.from_env(env)
    assert s.database.url.startswith("postgresql")
    assert s.database.retry_seconds == 2.5
    assert (s.identity.session_hours, s.identity.kiosk_session_minutes) == (4, 3)
    assert s.identity.login_rate_per_minute == 7
    assert s.issuance.online_office_code == "4511100000"
    assert s.issuance.idempotency_lease_seconds == 15
    assert s.verification.rate_per_minute == 300
    assert s.log_json is True and not s.is_sqlite
    assert s.availability_target == 99.9 and Settings.from_env({}).availability_target == 99.95


def test_moving_the_data_folder_moves_the_database_and_keys(tmp_path: Path) -> None:
    s = Settings.from_env({}, data_dir=tmp_path)
    assert s.database.url == f"sqlite:///{tmp_path.resolve() / 'minwon.sqlite3'}"
    assert s.keys_dir == tmp_path.resolve() / "keys"
    assert s.is_sqlite


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MINWON_SESSION_HOURS", "eight"),
        ("MINWON_LOGIN_RATE_PER_MINUTE", "0"),
        ("MINWON_VERIFY_RATE_PER_MINUTE", "-5"),
        ("MINWON_DB_RETRY_SECONDS", "nan-ish"),
        ("MINWON_LOG_JSON", "maybe"),
        ("MINWON_AVAILABILITY_TARGET", "100"),
        ("MINWON_AVAILABILITY_TARGET", "0"),
        ("MINWON_AVAILABILITY_TARGET", "99.9%"),
    ],
)
def test_a_bad_value_is_reported_with_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({variable: value})
    assert err.value.code == "settings.invalid"
    assert variable in err.value.detail and err.value.extra["variable"] == variable


def test_a_long_bad_value_is_not_echoed_whole() -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"MINWON_SESSION_HOURS": "9" * 20 + "x" * 200})
    assert len(err.value.detail) < 160


def test_overrides_use_the_variable_names_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    s = Settings.from_env({}, data_dir=tmp_path, login_rate_per_minute=1_000)
    assert s.identity.login_rate_per_minute == 1_000
    with pytest.raises(TypeError):
        Settings.from_env({}, data_dir=tmp_path, login_rate=5)
    changed = s.with_changes(verify_rate_per_minute=5)
    assert changed.verification.rate_per_minute == 5
    assert changed.identity == s.identity and changed.database == s.database


def test_every_variable_round_trips_through_with_changes(tmp_path: Path) -> None:
    s = Settings.from_env({}, data_dir=tmp_path)
    assert s.with_changes() == s
    assert set(VARIABLES) >= {"database_url", "verify_rate_per_minute", "session_hours"}
