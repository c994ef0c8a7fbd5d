"""``minwon probe``: the release probe's account (``setup``) and one run (``--url``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table

from minwon.cli.common import console, container, fail
from minwon.cli.common import settings as load_settings
from minwon.operations.release.probe import (
    DEADLINE_SECONDS,
    Outcome,
    ProbeCredentials,
    ProbeResult,
    run_probe,
)

PASSWORD_FILE = "probe.secret"  # in MINWON_KEYS_DIR unless --password-file says otherwise
PASSWORD_ENV = "MINWON_PROBE_PASSWORD"

app = typer.Typer(
    help="배포 점검용 시험 발급(probe): 시험 계정을 만들고, 실행 중인 서버를 점검합니다.",
    invoke_without_command=True,
    no_args_is_help=False,
)

PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file", help=f"시험 계정 비밀번호 파일 (기본: MINWON_KEYS_DIR/{PASSWORD_FILE})"
    ),
]


def _password_path(given: Path | None) -> Path:
    return given if given is not None else load_settings().keys_dir / PASSWORD_FILE


def _secret(path: Path) -> str:
    """Returns the probe password kept in ``path``, making one (0600) if there is none."""
    if path.exists():
        secret = path.read_text("utf-8").strip()
        if len(secret) < 16:
            fail(f"비밀번호 파일이 비어 있거나 너무 짧습니다: {path}", "probe.password_invalid")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
        sink.write(secret + "\n")
    return secret


@app.command("setup")
def setup(password_file: PasswordFile = None) -> None:
    """시험 발급 기관, 가상 주민 두 명(홍길동·성춘향, 실존하지 않음)과 시험 계정을 만들거나
    고칩니다 (여러 번 실행해도 안전). 비밀번호는 파일에 두고(없으면 새로 만듦) 화면에
    보이지 않습니다. 시연 자료 없이 운영 데이터베이스에서도 씁니다."""
    from minwon.adapters.probe_fixtures import ProbeSetupError, install_probe
    from minwon.identity.passwords import hash_password

    path = _password_path(password_file)
    secret = _secret(path)
    with container() as c:
        try:
            done = install_probe(c.engine, c.vault, password_hash=hash_password(secret))
        except ProbeSetupError as exc:
            fail(exc.message, exc.code)
    state = "만들었습니다" if done.created else "이미 있어 최신으로 맞췄습니다"
    console.print(f"시험 계정 {done.username} (기관 {done.office_code})을 {state}.")
    console.print(f"비밀번호 파일: {path}", highlight=False)


def _table(result: ProbeResult) -> Table:
    table = Table(title=f"시험 발급 점검: {result.base_url}")
    for column in ("점검", "결과", "시간", "코드", "사유"):
        table.add_column(column)
    marks = {Outcome.PASSED: "[green]통과[/]", Outcome.FAILED: "[red]실패[/]"}
    for check in result.checks:
        table.add_row(
            check.label,
            marks.get(check.outcome, "건너뜀"),
            f"{check.seconds * 1000:.0f} ms" if check.outcome is not Outcome.SKIPPED else "",
            check.code or "",
            check.message or "",
        )
    return table


@app.callback()
def probe(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="점검할 서버 주소 (예: http://127.0.0.1:8000)")
    ] = None,
    password_file: PasswordFile = None,
    deadline: Annotated[
        float, typer.Option(min=0.1, max=30, help="요청마다 응답 전체를 기다리는 초")
    ] = DEADLINE_SECONDS,
) -> None:
    """실행 중인 서버에서 시험 계정으로 로그인·시험 발급·PDF·진위 확인·발급 자격 거부를
    점검합니다. 모두 통과하면 종료 코드 0, 하나라도 실패하면 1입니다. 비밀번호는
    MINWON_PROBE_PASSWORD 또는 비밀번호 파일에서 읽습니다."""
    if ctx.invoked_subcommand is not None:
        return
    if not url:
        fail(
            "점검할 서버 주소를 --url로 주세요 (예: --url http://127.0.0.1:8000).",
            "probe.url_missing",
            2,
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(
            f"서버 주소가 올바르지 않습니다: {url[:200]} (http:// 또는 https://로 시작)",
            "probe.url_invalid",
            2,
        )
    password = os.environ.get(PASSWORD_ENV, "").strip()
    if not password:
        path = _password_path(password_file)
        if not path.exists():
            fail(
                f"시험 계정 비밀번호 파일이 없습니다: {path}. "
                "먼저 `minwon probe setup`을 실행하세요.",
                "probe.password_missing",
                2,
            )
        password = path.read_text("utf-8").strip()
    result = run_probe(url, ProbeCredentials(password=password), deadline=deadline)
    console.print(_table(result))
    if result.passed:
        console.print(f"[green]통과[/]: {result.message}", highlight=False)
        raise typer.Exit(0)
    console.print(f"[red]실패[/] ({result.code}): {result.message}", highlight=False)
    raise typer.Exit(1)
