"""A real PostgreSQL started as the unprivileged user, on 127.0.0.1 only, and stopped by PID."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from minwon.operations.local_postgres import LocalPostgres
from minwon.operations.processes import ensure_os_user, pid_alive, port_is_free
from support.postgres import start_test_postgres

pytestmark = pytest.mark.postgres

LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it
TCP_LISTEN = "0A"


@pytest.fixture
def server() -> Iterator[LocalPostgres]:
    pg = start_test_postgres()
    try:
        yield pg
    finally:
        pg.stop()


def _listening_addresses(port: int) -> set[str]:
    """Returns the local addresses (hex, as in /proc/net/tcp*) listening on `port`."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port and fields[3] == TCP_LISTEN:
                found.add(address)
    return found


def _uids(pid: int) -> list[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(v) for v in line.split()[1:]]
    raise AssertionError(f"no Uid line for pid {pid}")


def test_server_round_trips_korean_text_through_sqlalchemy(server: LocalPostgres) -> None:
    engine = create_engine(server.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE minwon_probe (id int PRIMARY KEY, name text)"))
            conn.execute(
                text("INSERT INTO minwon_probe VALUES (1, :name)"),
                {"name": "주민등록표 등본 — 홍길동"},
            )
        with engine.connect() as conn:
            name = conn.execute(text("SELECT name FROM minwon_probe WHERE id = 1")).scalar_one()
            database = conn.execute(text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert name == "주민등록표 등본 — 홍길동"
    assert database == "minwon"


def test_server_listens_only_on_loopback(server: LocalPostgres) -> None:
    assert server.port is not None
    engine = create_engine(server.url)
    try:
        with engine.connect() as conn:
            listen = conn.execute(text("SHOW listen_addresses")).scalar_one()
            port = conn.execute(text("SHOW port")).scalar_one()
    finally:
        engine.dispose()
    assert listen == "127.0.0.1"
    assert int(port) == server.port
    assert _listening_addresses(server.port) == {LOOPBACK_HEX}


def test_postmaster_runs_as_unprivileged_user_not_root(server: LocalPostgres) -> None:
    assert server.pid is not None
    user = ensure_os_user(server.os_user)
    assert user.uid != 0
    assert set(_uids(server.pid)) == {user.uid}
    pidfile = (server.data_dir / "postmaster.pid").read_text().splitlines()
    assert int(pidfile[0]) == server.pid


def test_password_stays_out_of_repr_and_str(server: LocalPostgres) -> None:
    password = server.url.password
    assert password
    assert password not in repr(server)
    assert password not in str(server.url)
    assert password in server.url_string


def test_stop_ends_the_postmaster_frees_the_port_and_removes_its_files() -> None:
    pg = start_test_postgres()
    try:
        pid, port, run_dir = pg.pid, pg.port, pg.run_dir
        assert pid is not None and port is not None and run_dir is not None
        assert run_dir.is_dir()
        assert not port_is_free("127.0.0.1", port)
    finally:
        pg.stop()
    assert not pid_alive(pid)
    assert (
        not os.path.exists(f"/proc/{pid}") or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    )
    assert port_is_free("127.0.0.1", port)
    assert not run_dir.exists()
    pg.stop()  # idempotent
    assert pg.pid is None and pg.run_dir is None


def test_context_manager_stops_even_when_the_body_fails() -> None:
    start_test_postgres().stop()  # skips (or fails in CI) here when PostgreSQL is missing
    pg = LocalPostgres()
    with pytest.raises(RuntimeError, match="boom"), pg:
        pid = pg.pid
        raise RuntimeError("boom")
    assert pid is not None and not pid_alive(pid)
    assert pg.run_dir is None


def test_tcp_connections_need_the_password(server: LocalPostgres) -> None:
    wrong = server.url.set(password="not-the-password")
    engine = create_engine(wrong)
    try:
        with pytest.raises(OperationalError, match="password authentication failed"):
            engine.connect()
    finally:
        engine.dispose()
