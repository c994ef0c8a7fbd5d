"""The release probe against a real ``minwon serve`` on a production-like database.

Given a data folder made by ``minwon init`` and ``minwon probe setup`` only (no demo
residents, as in production) and a server started with ``minwon serve``: ``minwon probe
--url`` passes every check, well under 2 s; a server that accepts connections but never
answers fails the probe within its deadline; bad input gets a plain Korean error; and demo
data can still be loaded after the probe's rows.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.operations.release.probe import ProbeCredentials, run_probe
from support.served import Served, clean_env, start, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("probe") / "data"
    data_dir.mkdir(parents=True)
    setup = Served(
        base="", data_dir=data_dir, log=data_dir.parent / "setup.log", env=clean_env(data_dir)
    )
    for args in (("init",), ("probe", "setup"), ("probe", "setup")):  # twice: safe to repeat
        done = setup.minwon(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    log = data_dir.parent / "server.log"
    process, base = start(setup.env, log)
    try:
        yield Served(
            base=base, data_dir=data_dir, log=log, env={**setup.env, "MINWON_PUBLIC_BASE_URL": base}
        )
    finally:
        stop(process)


def _password(served: Served) -> str:
    return (served.data_dir / "keys" / "probe.secret").read_text("utf-8").strip()


def test_the_probe_passes_on_a_database_without_demo_data(production: Served) -> None:
    done = production.minwon("probe", "--url", production.base)
    assert done.returncode == 0, done.stdout + done.stderr
    for label in ("로그인", "시험 발급", "PDF", "진위 확인", "발급 자격"):
        assert label in done.stdout
    assert "통과" in done.stdout and "실패" not in done.stdout


def test_a_healthy_server_passes_the_probe_well_under_two_seconds(production: Served) -> None:
    run_probe(production.base, ProbeCredentials(password=_password(production)))  # warm
    result = run_probe(production.base, ProbeCredentials(password=_password(production)))
    assert result.passed, result
    print(
        f"probe: {result.seconds * 1000:.0f} ms "
        + ", ".join(f"{c.name} {c.seconds * 1000:.0f} ms" for c in result.checks)
    )
    assert result.seconds < 2.0


def test_the_probe_gives_up_on_a_hung_server_within_its_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept_and_hang() -> None:  # takes every connection and never answers
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hang, daemon=True)
    thread.start()
    try:
        began = time.monotonic()
        port = listener.getsockname()[1]
        result = run_probe(f"http://127.0.0.1:{port}", ProbeCredentials(password="x"), deadline=1.0)
        took = time.monotonic() - began
    finally:
        stopping.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()
    assert not result.passed and result.code == "probe.timeout"
    assert result.failed_check is not None and result.failed_check.name == "sign_in"
    assert took < 2.5


def test_bad_input_gets_a_plain_korean_error(production: Served, tmp_path: Path) -> None:
    no_url = production.minwon("probe")
    assert no_url.returncode == 2 and "--url" in no_url.stderr and "Traceback" not in no_url.stderr
    bad = production.minwon("probe", "--url", "ftp://example")
    assert bad.returncode == 2 and "서버 주소가 올바르지 않습니다" in bad.stderr
    missing = production.minwon(
        "probe", "--url", production.base, "--password-file", str(tmp_path / "none")
    )
    assert missing.returncode == 2 and "minwon probe setup" in missing.stderr
    wrong = tmp_path / "wrong.secret"
    wrong.write_text("this-is-not-the-password\n")
    failed = production.minwon("probe", "--url", production.base, "--password-file", str(wrong))
    assert failed.returncode == 1 and "probe.sign_in_failed" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr


def test_demo_data_still_loads_after_probe_setup(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    setup = Served(base="", data_dir=data_dir, log=tmp_path / "setup.log", env=clean_env(data_dir))
    for args in (("init",), ("probe", "setup"), ("demo-data", "--residents", "30", "--if-empty")):
        done = setup.minwon(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "만들었습니다" in done.stdout  # the demo registry was made, not skipped
