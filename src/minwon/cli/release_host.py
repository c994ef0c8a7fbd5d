"""``minwon release host ...``: what a release runs on an app host over SSH (install a
build beside the running one, point ``current`` at it, say which build is current).
Over SSH it runs as ``python -m minwon.cli.release_host`` (light imports: ``cli.plain``).
Each prints the build as one JSON object on success; errors are plain Korean text with
a stable code and exit status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from minwon.cli.plain import fail
from minwon.operations.release import host_side
from minwon.operations.release.builds import Build, BuildError
from minwon.operations.release.fleet_plan import CURRENT, RELEASES

app = typer.Typer(
    help="앱 서버에서 배포가 실행하는 명령 (SSH로): 빌드 설치, current 전환, 현재 빌드.",
    no_args_is_help=True,
)

ReleasesOption = Annotated[Path, typer.Option("--releases", help="빌드를 두는 폴더")]
CurrentOption = Annotated[Path, typer.Option("--current", help="실행할 빌드를 가리키는 링크")]


def _print(build: Build) -> None:
    sys.stdout.write(json.dumps({**build.to_dict(), "python": build.python}) + "\n")


@app.command("install")
def install(
    releases: ReleasesOption = Path(RELEASES),
    source: Annotated[
        Path | None, typer.Option("--source", help="코드 폴더 (없으면 표준 입력의 tar)")
    ] = None,
) -> None:
    """빌드를 실행 중인 것 옆에 설치합니다 (실행 중인 빌드는 건드리지 않음)."""
    from minwon.operations.release import builds

    try:
        if source is not None:
            built = builds.prepare(source, releases)
        else:
            built = host_side.install(sys.stdin.buffer.read(), releases)
    except BuildError as exc:
        fail(str(exc), "release.install_failed", 2)
    _print(built)


@app.command("switch")
def switch(
    build_id: Annotated[str, typer.Argument(help="설치된 빌드 이름 (버전+요약값)")],
    releases: ReleasesOption = Path(RELEASES),
    current: CurrentOption = Path(CURRENT),
) -> None:
    """current 링크를 설치된 빌드로 한 번에 바꿉니다 (서비스 재시작은 따로)."""
    try:
        built = host_side.switch(build_id, releases, current)
    except BuildError as exc:
        fail(str(exc), "release.switch_failed", 2)
    _print(built)


@app.command("current")
def current(current: CurrentOption = Path(CURRENT)) -> None:
    """current 링크가 가리키는 빌드를 출력합니다."""
    try:
        built = host_side.current(current)
    except BuildError as exc:
        fail(str(exc), "release.no_current", 2)
    _print(built)


if __name__ == "__main__":  # the plan runs `python -m minwon.cli.release_host` over SSH
    app()
