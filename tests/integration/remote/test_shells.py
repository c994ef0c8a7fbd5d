"""Commands on hosts: argv arrives as given (quoted once for the remote shell), standard
input carries bytes, and a command that cannot run at all is an error, not an exit code."""

from __future__ import annotations

import shlex
import socket
import threading
from pathlib import Path

import pytest

from minwon.operations.remote.shell import LocalShell, ShellError, SshShell
from support.ssh_server import ssh_server


def test_the_local_shell_runs_argv_with_standard_input() -> None:
    done = LocalShell().run(
        "anyhost", ["sh", "-c", 'cat; echo " $1"', "-", "a b; rm -rf /"], stdin=b"x"
    )
    assert done.ok and done.stdout == b"x a b; rm -rf /\n"
    failed = LocalShell().run("anyhost", ["sh", "-c", "echo no >&2; exit 4"])
    assert failed.returncode == 4 and "no" in failed.why() and "anyhost" in failed.why()
    with pytest.raises(ShellError):
        LocalShell().run("anyhost", ["/nonexistent/program"])
    with pytest.raises(ShellError, match="끝나지 않았습니다"):
        LocalShell().run("anyhost", ["sleep", "5"], timeout=0.2)


def test_ssh_quotes_the_command_once_and_never_prompts() -> None:
    shell = SshShell(user="minwon-deploy", port=2222, options=("UserKnownHostsFile=/k",))
    argv = shell.ssh_argv("10.0.0.11", ["minwon", "release", "host", "switch", "a b'c"])
    assert argv[:5] == ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
    assert argv[5:7] == ["-o", "UserKnownHostsFile=/k"] and argv[7:9] == ["-p", "2222"]
    assert argv[-3:-1] == ["minwon-deploy@10.0.0.11", "--"]
    assert shlex.split(argv[-1]) == ["minwon", "release", "host", "switch", "a b'c"]


def test_ssh_that_cannot_connect_is_an_error_not_an_exit_code() -> None:
    # A listener of this test's own that hangs up at once: no SSH server behind it, so
    # ssh itself fails (exit 255) before any command runs.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        hang_up = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
        hang_up.start()
        shell = SshShell(port=port, connect_timeout=2, options=("StrictHostKeyChecking=no",))
        with pytest.raises(ShellError, match="SSH로 접속할 수 없습니다"):
            shell.run("127.0.0.1", ["true"], timeout=20)
        hang_up.join(5)


def test_a_real_ssh_server_runs_the_argv_as_given_and_pins_its_host_key(tmp_path: Path) -> None:
    with ssh_server(tmp_path / "sshd") as (shell, port):
        done = shell.run(
            "127.0.0.1", ["sh", "-c", 'cat; printf " %s" "$1"', "-", "a b; c'd"], stdin=b"x"
        )
        assert done.ok, done.why()
        assert done.stdout == b"x a b; c'd"
        assert shell.run("127.0.0.1", ["sh", "-c", "exit 7"]).returncode == 7
        stranger = SshShell(
            user="root",
            port=port,
            options=(
                f"IdentityFile={tmp_path / 'sshd' / 'client_key'}",
                f"UserKnownHostsFile={tmp_path / 'empty_known_hosts'}",
                "StrictHostKeyChecking=yes",
            ),
        )
        with pytest.raises(ShellError, match="SSH로 접속할 수 없습니다"):
            stranger.run("127.0.0.1", ["true"])  # an unknown host key is refused
