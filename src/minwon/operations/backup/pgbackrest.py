"""Runs the real ``pgbackrest`` as the database user against one node's configuration.

Each call is one pgBackRest command with a deadline; a failure becomes a BackupError with
a stable code and the end of what pgBackRest printed (its own ``ERROR: [nnn]: ...``
line first), so a person sees why without opening a log.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from minwon.operations.backup.config import STANZA, command
from minwon.operations.backup.info import (
    InfoFormatError,
    StanzaInfo,
    VerifyReport,
    parse_info,
    parse_verify,
)
from minwon.operations.processes import OsUser, run_as

BackupType = Literal["full", "diff", "incr"]
BACKUP_TYPES: tuple[BackupType, ...] = ("full", "diff", "incr")
SHOWN = 400  # characters of pgBackRest's output an error message carries
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class BackupError(RuntimeError):
    """A pgBackRest command failed; `code` is stable, `detail` is Korean for a person."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def shorten(output: str, limit: int = SHOWN) -> str:
    """Returns pgBackRest's output in one line: its ERROR and HINT lines (all of it when
    it has none), cut to `limit` characters."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR", "HINT"))]
    text = " / ".join(errors or lines) or "(출력 없음)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class PgBackRest:
    """pgBackRest with one node's `config`, run as `user` (None: as this process)."""

    config: str
    user: OsUser | None
    binary: str = "/usr/bin/pgbackrest"
    cwd: str = "/"

    def _popen_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"cwd": self.cwd, "env": ENV, "stdin": subprocess.DEVNULL}
        if self.user is not None and os.geteuid() == 0:
            kwargs.update(run_as(self.user))  # PostgreSQL's own user; never root
        return kwargs

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Starts one command in the background, its output appended to `log`."""
        with open(log, "ab") as out:
            try:
                return subprocess.Popen(
                    command(self.binary, self.config, *args),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    **self._popen_kwargs(),
                )
            except FileNotFoundError:
                raise BackupError("backup.missing", self._missing()) from None

    def _missing(self) -> str:
        return f"pgBackRest({self.binary})가 없습니다. `make setup`(root)으로 설치하세요."

    def run(self, *args: str, code: str, what: str, timeout: float = 600) -> str:
        """Runs one command; returns its standard output, or raises BackupError(code)."""
        argv = command(self.binary, self.config, *args)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                **self._popen_kwargs(),
            )
        except FileNotFoundError:
            raise BackupError("backup.missing", self._missing()) from None
        except subprocess.TimeoutExpired:
            raise BackupError(code, f"{what}: {timeout:.0f}초 안에 끝나지 않았습니다.") from None
        if done.returncode != 0:
            said = shorten(done.stderr + "\n" + done.stdout)
            raise BackupError(code, f"{what} 실패 (종료 코드 {done.returncode}): {said}")
        return str(done.stdout)

    def stanza_create(self) -> None:
        """Creates stanza ``minwon`` in the repository (again: a no-op when it matches)."""
        self.run("stanza-create", code="backup.stanza", what="저장소 스탠자 생성")

    def check(self, timeout: float = 120) -> None:
        """Runs ``pgbackrest check``: the configuration, and one WAL segment archived."""
        self.run("check", code="backup.check", what="WAL 아카이브 점검", timeout=timeout)

    def backup(self, kind: BackupType, *, repo: int = 1) -> None:
        """Takes a backup of `kind` from this node (the primary) into repository `repo`
        (2: the second site's), then expires old ones there."""
        if kind not in BACKUP_TYPES:
            raise BackupError("backup.type", f"백업 종류는 full, diff, incr 중 하나입니다: {kind}")
        args = [f"--type={kind}"] + ([f"--repo={repo}"] if repo != 1 else [])
        what = f"{kind} 백업" + (f" (저장소 {repo})" if repo != 1 else "")
        self.run(*args, "backup", code="backup.failed", what=what)

    def info(self) -> StanzaInfo:
        """Returns what the repository holds (``pgbackrest info --output=json``)."""
        text = self.run("--output=json", "info", code="backup.info", what="백업 목록 조회")
        try:
            return parse_info(text, STANZA)
        except InfoFormatError as exc:
            raise BackupError("backup.info", f"백업 목록을 읽을 수 없습니다: {exc}") from exc

    def verify(self) -> VerifyReport:
        """Returns ``pgbackrest verify``'s report: every backup file and WAL segment
        read back and checked against its checksum."""
        text = self.run(
            "--output=text", "--verbose", "verify", code="backup.verify", what="백업 검증"
        )
        return parse_verify(text)
