"""``minwon kiosk rotate-key DEVICE``: a new key for one kiosk device."""

from __future__ import annotations

import typer

from minwon.cli.common import console, container
from minwon.identity.kiosks import rotate_key as rotate

app = typer.Typer(help="무인민원발급기 기기를 관리합니다.", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key(
    device_id: str = typer.Argument(..., help="기기 번호 (예: kiosk-01)"),
) -> None:
    """기기 키를 새로 만듭니다. 새 키는 지금 한 번만 표시되고 데이터베이스에는 해시만
    남습니다. 예전 키는 바로 쓸 수 없게 되고 그 기기의 본인 확인 세션도 끝나므로, 담당
    공무원이 기기에서 `/kiosk/setup`으로 새 키를 입력해 다시 설정해야 합니다.
    """
    with container() as c:
        key = rotate(c.uows, device_id=device_id[:40], now=c.clock.now())
    console.print(f"{device_id}의 새 기기 키 (다시 표시되지 않습니다):", highlight=False)
    console.print(key, highlight=False, soft_wrap=True)
