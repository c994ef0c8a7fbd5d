"""Running real ``minwon`` processes for end-to-end tests, stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from minwon.demo import DEMO_PASSWORD
from minwon.operations.processes import free_port

MINWON = str(Path(sys.executable).parent / "minwon")
HOST = "127.0.0.1"


@dataclass
class Served:
    base: str
    data_dir: Path
    log: Path
    env: dict[str, str]

    def minwon(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MINWON, *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def login(self, username: str, kind: str = "citizen") -> dict[str, str]:
        response = httpx.post(
            f"{self.base}/api/v1/auth/{kind}",
            json={"username": username, "password": DEMO_PASSWORD},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINWON_")}
    env.update(MINWON_DATA_DIR=str(data_dir), COLUMNS="200", PYTHONUNBUFFERED="1")
    # Never the tester's own installed trust bundle (~/.config/minwon/trust.json).
    env["XDG_CONFIG_HOME"] = str(data_dir.parent / "config")
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start(
    env: dict[str, str], log: Path, *, minwon: tuple[str, ...] = (MINWON,)
) -> tuple[subprocess.Popen[bytes], str]:
    """Starts ``minwon serve`` on a free port; retries if the port was taken meanwhile.
    `minwon` is the command (another build's: ``(python, "-m", "minwon.cli.main")``)."""
    for _ in range(3):
        port = free_port(HOST)
        base = f"http://{HOST}:{port}"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [*minwon, "serve", "--host", HOST, "--port", str(port)],
                env={**env, "MINWON_PUBLIC_BASE_URL": base},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return process, base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        stop(process)
    pytest.fail(f"minwon serve did not become healthy:\n{log.read_text(errors='replace')}")


def demo_folder(data_dir: Path, *, residents: int, seed: int) -> Served:
    """Makes ``data_dir`` with ``minwon init`` and ``minwon demo-data``; returns it unserved."""
    data_dir.mkdir(parents=True, exist_ok=True)
    setup = Served(
        base="", data_dir=data_dir, log=data_dir.parent / "setup.log", env=clean_env(data_dir)
    )
    for args in (("init",), ("demo-data", "--residents", str(residents), "--seed", str(seed))):
        done = setup.minwon(*args, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    return setup


@contextmanager
def serving(data_dir: Path, *, residents: int, seed: int) -> Iterator[Served]:
    """A demo data folder served by one ``minwon serve``, stopped by PID afterwards."""
    setup = demo_folder(data_dir, residents=residents, seed=seed)
    log = data_dir.parent / "server.log"
    process, base = start(setup.env, log)
    try:
        yield Served(
            base=base,
            data_dir=data_dir,
            log=log,
            env={**setup.env, "MINWON_PUBLIC_BASE_URL": base},
        )
    finally:
        stop(process)
