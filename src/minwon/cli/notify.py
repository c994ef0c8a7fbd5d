"""``minwon notify run`` (the delivery worker, until SIGTERM) and ``minwon notify drain``."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from minwon.cli.common import console, container
from minwon.notifications.delivery import DrainReport, drain, run

app = typer.Typer(
    help="주민에게 보내는 알림(알림함·전자우편·문자)을 전달합니다.", no_args_is_help=True
)


def _summary(report: DrainReport) -> str:
    channels = ", ".join(f"{k} {v}" for k, v in sorted(report.by_channel.items())) or "없음"
    return (
        f"새 알림 {report.routed}건, 전달 {report.delivered}건 ({channels}), "
        f"재시도 예약 {report.retried}건, 실패 {report.failed}건, "
        f"결과 미확인 {report.unconfirmed}건"
    )


@app.command("drain")
def drain_command() -> None:
    """지금 보낼 수 있는 알림을 모두 보내고 끝냅니다 (cron, 시험용).

    재시도 시각이 아직 오지 않은 알림은 다음 실행 때 보냅니다.
    """
    with container() as c:
        report = drain(c.notifications)
    console.print(f"알림 전달을 마쳤습니다: {_summary(report)}.")


@app.command("run")
def run_command(
    poll: Annotated[
        float | None,
        typer.Option(min=0.05, help="보낼 것이 없을 때 다시 볼 때까지 기다리는 초 (기본: 설정)"),
    ] = None,
) -> None:
    """알림 전달 작업자를 계속 실행합니다. SIGTERM이나 Ctrl+C를 받으면 보내던 알림을 마치고
    멈춥니다. 여러 대가 함께 실행되어도, 다시 시작해도 한 알림이 한 경로로 두 번 가지
    않습니다."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with container() as c:
        wait = poll if poll is not None else c.settings.notifications.poll_seconds
        console.print("알림 전달 작업자를 시작합니다.", highlight=False)
        report = run(c.notifications, stop=stop, poll_seconds=wait)
    console.print(f"알림 전달 작업자를 멈췄습니다: {_summary(report)}.")
