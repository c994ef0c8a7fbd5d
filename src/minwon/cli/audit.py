"""``minwon audit verify`` and ``minwon audit checkpoint``."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.audit.services import checkpoint as sign_head
from minwon.audit.services import verify_trail
from minwon.cli.common import console, container, err_console

app = typer.Typer(
    help="감사 기록(해시 체인)을 검증하고 서명된 검증점을 남깁니다.", no_args_is_help=True
)


@app.command("verify")
def verify() -> None:
    """감사 기록 전체를 처음부터 검증합니다: 고쳐지거나, 지워지거나, 순서가 바뀐 기록과
    서명된 검증점과 다른 기록을 찾아 처음 끊어진 곳을 알려 줍니다.

    종료 코드: 0 온전함, 1 끊어진 곳이 있음.
    """
    with container() as c:
        keyring = c.keys.token_keyring

        def key_for(kid: str) -> ed25519.Ed25519PublicKey | None:
            key = keyring.get(kid)
            return key.public if key else None

        report = verify_trail(c.uows, key_for)
    last = f", 마지막 검증점 {report.last_checkpoint}번" if report.last_checkpoint else ""
    if report.broken is None:
        console.print(
            f"[bold green]감사 기록이 온전합니다.[/] 기록 {report.events}건, "
            f"서명된 검증점 {report.checkpoints}개{last}."
        )
        return
    broken = report.broken
    err_console.print(
        f"[bold red]감사 기록이 훼손되었습니다[/] ({broken.kind}): {broken.detail_ko}"
        + (f" (기록 id {broken.event_id})" if broken.event_id else "")
    )
    err_console.print(f"그 앞의 기록 {report.events}건은 온전합니다{last}.")
    raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint() -> None:
    """지금까지의 감사 기록에 서명된 검증점을 남깁니다 (주기적으로 실행: cron, systemd 타이머).

    데이터베이스에 쓸 수 있는 사람도 서명 키 없이는 검증점을 만들 수 없으므로, 검증점
    이전의 기록을 통째로 다시 쓰면 `minwon audit verify`가 찾아냅니다.
    """
    with container() as c:
        made = sign_head(c.uows, c.keys.token_private, datetime.now(UTC))
    if made is None:
        console.print("새로 서명할 기록이 없습니다.")
        return
    console.print(f"검증점을 남겼습니다: {made.seq}번까지 (키 {made.kid}).")
