"""Running one command on a host: over SSH on real hosts, directly on this machine when
the "host" is this machine (the local cluster, tests).

A command is an argv list; on SSH it is quoted once (``shlex.join``) for the remote
shell, so arguments with spaces or quotes arrive as given. Standard input may carry
bytes (a build's code as a tar stream, a runtime API command). Nothing here retries: the
caller decides what a failure means.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class ShellError(Exception):
    """A command could not be run on a host at all (no SSH connection, a timeout)."""


@dataclass(frozen=True)
class Completed:
    """What a command on a host returned."""

    host: str
    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        """Returns True if the command exited 0."""
        return self.returncode == 0

    def text(self) -> str:
        """Returns standard output as text."""
        return self.stdout.decode(errors="replace")

    def why(self) -> str:
        """Returns what the command printed on failure, shortened for a message."""
        said = (self.stderr or self.stdout).decode(errors="replace").strip()
        return f"{self.host}: {shlex.join(self.argv)} → {self.returncode}: {said[-600:]}"


class Shell(Protocol):
    """Runs an argv on a host and returns what it did."""

    def run(
        self, host: str, argv: Sequence[str], *, stdin: bytes = b"", timeout: float = 60.0
    ) -> Completed:
        """Runs `argv` on `host`; ShellError if it could not be run at all."""
        ...


def _run(
    host: str, argv: Sequence[str], full: list[str], stdin: bytes, timeout: float
) -> Completed:
    try:
        done = subprocess.run(full, input=stdin, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        said = f"{host}: {shlex.join(argv)}: {timeout:.0f}초 안에 끝나지 않았습니다"
        raise ShellError(said) from exc
    except OSError as exc:
        raise ShellError(f"{host}: {shlex.join(argv)}: {exc}") from exc
    return Completed(host, tuple(argv), done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class LocalShell:
    """Runs commands on this machine, whatever `host` says (one machine plays every host)."""

    def run(
        self, host: str, argv: Sequence[str], *, stdin: bytes = b"", timeout: float = 60.0
    ) -> Completed:
        """Runs `argv` here."""
        return _run(host, argv, list(argv), stdin, timeout)


SSH_UNREACHABLE = 255  # ssh's own exit code when it could not connect or log in


@dataclass(frozen=True)
class SshShell:
    """Runs commands on real hosts with OpenSSH, non-interactively (keys, no prompts).

    ``user`` logs in (the plan's deploy account); ``options`` are extra ``-o`` settings
    (``UserKnownHostsFile=...``); ``port`` and ``identity`` when not the defaults.
    """

    user: str = ""
    port: int | None = None
    identity: str = ""
    options: tuple[str, ...] = ()
    connect_timeout: int = 5

    def ssh_argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """Returns the ssh command line that runs `argv` on `host`."""
        full = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout}"]
        for option in self.options:
            full += ["-o", option]
        if self.port is not None:
            full += ["-p", str(self.port)]
        if self.identity:
            full += ["-i", self.identity]
        full += [f"{self.user}@{host}" if self.user else host, "--", shlex.join(argv)]
        return full

    def run(
        self, host: str, argv: Sequence[str], *, stdin: bytes = b"", timeout: float = 60.0
    ) -> Completed:
        """Runs `argv` on `host` over SSH; ShellError if SSH itself failed."""
        done = _run(host, argv, self.ssh_argv(host, argv), stdin, timeout)
        if done.returncode == SSH_UNREACHABLE:
            raise ShellError(f"{host}에 SSH로 접속할 수 없습니다: {done.why()}")
        return done
