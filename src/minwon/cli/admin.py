"""Setting up and serving: ``init``, ``keys init``, ``demo-data``, ``serve``."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine.url import make_url

from minwon.adapters.migrate import upgrade
from minwon.cli.common import console, container, fail
from minwon.cli.common import settings as load_settings
from minwon.config import Settings
from minwon.rendering.keys import KeysExist, init_keys


def keys_init(
    force: Annotated[
        bool, typer.Option(help="이미 있는 키를 덮어씁니다 (기존 문서의 검증이 깨집니다).")
    ] = False,
    organisation: Annotated[str, typer.Option(help="서명 인증서에 들어갈 기관명")] = "전주시",
) -> None:
    """시연용 서명 인증서(자체 루트 CA 포함), QR 토큰 키, 주민번호 암호화 키를 만듭니다.

    운영 환경에서는 MINWON_KEYS_DIR에 공인 인증서와 키를 같은 파일 이름으로 두고 이
    명령을 쓰지 않습니다.
    """
    settings = load_settings()
    try:
        paths = init_keys(settings.keys_dir, organisation=organisation, force=force)
    except KeysExist:
        fail(f"키가 이미 있습니다: {settings.keys_dir} (덮어쓰려면 --force)", "keys.exist")
    console.print(f"키를 만들었습니다: {paths.directory}")


def init() -> None:
    """데이터 폴더와 키를 준비하고 데이터베이스를 최신 스키마로 올립니다 (여러 번 실행해도 안전)."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not (settings.keys_dir / "signing.pem").exists():
        init_keys(settings.keys_dir)
        console.print(f"키를 만들었습니다: {settings.keys_dir}")
    with container() as c:
        upgrade(c.engine)
    console.print(f"데이터베이스 준비 완료: {c.engine.url.render_as_string(hide_password=True)}")


def _require_database(settings: Settings) -> None:
    """Fails plainly when the SQLite file is missing: only ``minwon init`` creates one."""
    database = make_url(settings.database.url).database
    if settings.is_sqlite and database and database != ":memory:" and not Path(database).exists():
        fail(
            f"데이터베이스가 없습니다: {database}. 먼저 `minwon init`을 실행하세요.",
            "database.missing",
        )


def demo_data(
    residents: Annotated[int, typer.Option(min=1, max=5_000_000, help="만들 주민 수")] = 10_000,
    seed: Annotated[int, typer.Option(help="같은 seed는 같은 주민등록을 만듭니다")] = 1,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="이미 주민 자료가 있으면 아무것도 하지 않습니다")
    ] = False,
) -> None:
    """전주시(완산구·덕진구) 가상 주민등록 자료를 만듭니다 (Faker ko_KR, 실존 인물 아님)."""
    from sqlalchemy import func, select

    from minwon.adapters.tables import residents as residents_table
    from minwon.clock import KST
    from minwon.demo import DEMO_KIOSK_KEYS, DEMO_PASSWORD, generate_registry

    _require_database(load_settings())
    with container() as c:
        upgrade(c.engine)
        with c.engine.connect() as conn:
            # The release probe's synthetic people (minwon probe setup) do not count.
            existing = conn.execute(
                select(func.count())
                .select_from(residents_table)
                .where(residents_table.c.probe.is_(False))
            ).scalar_one()
        if existing and if_empty:
            console.print(f"주민 자료가 이미 있습니다 ({existing:,}명). 건너뜁니다.")
            return
        if existing:
            fail(
                f"주민 자료가 이미 있습니다 ({existing:,}명). 빈 데이터베이스에서 실행하세요.",
                "demo.not_empty",
            )
        with Progress(
            TextColumn("주민등록 생성"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("residents", total=residents)
            summary = generate_registry(
                c.engine,
                residents=residents,
                seed=seed,
                vault=c.vault,
                progress=lambda n: progress.update(task, completed=n),
                today=c.clock.now().astimezone(KST).date() if c.clock else date.today(),
            )
    console.print(f"{residents:,}명을 {summary.elapsed_seconds:.1f}초에 만들었습니다.")
    keys = ", ".join(f"{device} {key}" for device, key in DEMO_KIOSK_KEYS.items())
    console.print(f"시연 계정 비밀번호: {DEMO_PASSWORD} (무인발급기 키: {keys})")
    console.print("계정: " + ", ".join(summary.usernames))


def serve(
    host: Annotated[str, typer.Option(help="듣는 주소")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="듣는 포트")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="작업 프로세스 수")] = 1,
    log_json: Annotated[bool, typer.Option(help="JSON 한 줄 로그")] = False,
) -> None:
    """API 서버를 실행합니다 (uvicorn). 설정은 MINWON_* 환경 변수에서 읽습니다."""
    import uvicorn

    if log_json:
        os.environ["MINWON_LOG_JSON"] = "1"
    settings = load_settings()
    if not Path(settings.keys_dir / "signing.pem").exists():
        fail("키가 없습니다. 먼저 `minwon init`을 실행하세요.", "keys.missing")
    _require_database(settings)
    console.print(f"Minwon: http://{host}:{port}  (API 문서: /api/v1/docs)")
    uvicorn.run(
        "minwon.web.asgi:make_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        # Our middleware logs route templates instead: paths carry document numbers.
        access_log=False,
        proxy_headers=False,
    )
