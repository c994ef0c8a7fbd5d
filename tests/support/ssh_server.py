"""A real OpenSSH server on loopback for tests: its own host key, one client key, root
logins by that key only, on a free port; stopped by PID when the ``with`` block ends.

The shell it yields is ``SshShell`` exactly as a release uses it on real hosts, with the
server's host key pinned (``StrictHostKeyChecking=yes``), so nothing is accepted blindly.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from minwon.operations.processes import free_port, wait_for_port
from minwon.operations.remote.shell import SshShell
from support.binaries import find, require_binaries, require_root

PRIVSEP_DIR = Path("/run/sshd")  # OpenSSH's privilege separation directory


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_suffix(".pub").read_text().strip()


@contextmanager
def ssh_server(work: Path) -> Iterator[tuple[SshShell, int]]:
    """Yields a shell that logs in as root over SSH to 127.0.0.1, and the port."""
    require_root("sshd runs as root and the release logs in as root here")
    require_binaries("sshd", "ssh", "ssh-keygen")
    work.mkdir(parents=True, exist_ok=True)
    host_public = _keygen(work / "host_key")
    (work / "authorized_keys").write_text(_keygen(work / "client_key") + "\n")
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    sshd = find("sshd")
    assert sshd is not None
    for _attempt in range(5):
        port = free_port()
        options = {
            "ListenAddress": f"127.0.0.1:{port}",
            "HostKey": str(work / "host_key"),
            "AuthorizedKeysFile": str(work / "authorized_keys"),
            "PidFile": str(work / "sshd.pid"),
            "PermitRootLogin": "prohibit-password",
            "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no",
            "UsePAM": "no",
            "StrictModes": "no",
            "MaxStartups": "50",
        }
        argv = [sshd, "-D", "-e", "-f", "/dev/null"]
        for key, value in options.items():
            argv += ["-o", f"{key}={value}"]
        log = (work / "sshd.log").open("ab")
        process = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_for_port("127.0.0.1", port, 10)
            break
        except TimeoutError:
            process.kill()
            process.wait()
    else:
        raise RuntimeError(f"sshd did not start: {(work / 'sshd.log').read_text()[-800:]}")
    (work / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_public}\n")
    shell = SshShell(
        user="root",
        port=port,
        options=(
            f"IdentityFile={work / 'client_key'}",
            "IdentitiesOnly=yes",
            f"UserKnownHostsFile={work / 'known_hosts'}",
            "StrictHostKeyChecking=yes",
        ),
    )
    try:
        yield shell, port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
