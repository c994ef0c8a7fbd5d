"""``minwon trust export|install|show`` and ``minwon keys rotate-token``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from minwon.cli.common import console, fail
from minwon.cli.common import settings as load_settings
from minwon.rendering.trust import (
    BundleInvalid,
    TrustBundle,
    bundle_from_keys_dir,
    install_bundle,
    read_bundle,
)

app = typer.Typer(
    help="검증에 쓰는 신뢰 묶음(루트 인증서, QR 토큰 공개키)을 내보내고 설치합니다.",
    no_args_is_help=True,
)


def _describe(bundle: TrustBundle, title: str) -> None:
    table = Table(title=title, show_header=False)
    table.add_row("기관", bundle.issuer or "-")
    table.add_row("게시 시각", bundle.published_at.isoformat(timespec="seconds"))
    for root, print_ in zip(bundle.roots, bundle.fingerprints, strict=True):
        table.add_row("루트 인증서", root.subject.rfc4514_string())
        table.add_row("  SHA-256 지문", print_)
        table.add_row("  유효기간", f"~ {root.not_valid_after_utc:%Y-%m-%d}")
    for key in bundle.token_keys:
        state = (
            f"폐기 {key.retired_at:%Y-%m-%d}, 확인 가능 ~ {key.verifiable_until:%Y-%m-%d}"
            if key.retired_at and key.verifiable_until
            else "사용 중"
        )
        table.add_row("QR 토큰 키", f"{key.kid} (Ed25519, {key.valid_from:%Y-%m-%d}~, {state})")
    console.print(table)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="신뢰 묶음을 쓸 파일")] = Path("minwon-trust.json"),
) -> None:
    """이 서버의 키 폴더에서 공개 부분만 모아 신뢰 묶음을 만듭니다 (개인키는 읽지 않음).

    시청은 이 파일을 게시하고, 루트 인증서 지문은 다른 경로(공문, 누리집 공지)로도
    알립니다. 검증하는 사람은 지문을 비교한 뒤 `minwon trust install`로 설치합니다.
    """
    settings = load_settings()
    try:
        bundle = bundle_from_keys_dir(settings.keys_dir)
    except BundleInvalid as exc:
        fail(exc.detail_ko, exc.code, exit_code=2)
    out.write_text(bundle.dumps(), encoding="utf-8")
    _describe(bundle, f"신뢰 묶음을 썼습니다: {out}")


@app.command("install")
def install(
    source: Annotated[Path, typer.Argument(help="받은 신뢰 묶음 파일")],
    fingerprint: Annotated[
        str | None,
        typer.Option(help="시청이 따로 알린 루트 인증서 SHA-256 지문 (다르면 설치하지 않음)"),
    ] = None,
) -> None:
    """신뢰 묶음을 설치합니다. 이후 `minwon verify`는 이 묶음만 신뢰합니다.

    설치 위치: MINWON_TRUST_BUNDLE (기본: ~/.config/minwon/trust.json).
    """
    settings = load_settings()
    target = settings.trust_bundle
    if target is None:
        fail("MINWON_TRUST_BUNDLE이 비어 있습니다.", "trust.no_location", exit_code=2)
    try:
        bundle = install_bundle(source, target, expected=fingerprint)
    except BundleInvalid as exc:
        fail(
            exc.detail_ko, exc.code, exit_code=2 if exc.code != "trust.fingerprint_mismatch" else 1
        )
    _describe(bundle, f"설치했습니다: {target}")
    if fingerprint is None:
        console.print(
            "[bold yellow]지문을 확인하지 않고 설치했습니다.[/] 위 SHA-256 지문이 시청이 알린 "
            "값과 같은지 직접 비교하십시오."
        )


@app.command("show")
def show() -> None:
    """설치한 신뢰 묶음을 보여 줍니다."""
    settings = load_settings()
    if settings.trust_bundle is None:
        fail("MINWON_TRUST_BUNDLE이 비어 있습니다.", "trust.no_location", exit_code=2)
    try:
        bundle = read_bundle(settings.trust_bundle)
    except BundleInvalid as exc:
        fail(exc.detail_ko, exc.code, exit_code=2)
    _describe(bundle, f"설치한 신뢰 묶음: {settings.trust_bundle}")


def rotate_token(
    window_days: Annotated[
        int,
        typer.Option(
            help="폐기한 키로 서명한 문서를 확인할 수 있는 기간(일): 가장 긴 확인 기간 이상"
        ),
    ] = 0,
) -> None:
    """QR 토큰 서명 키를 새로 만들고 지금 키를 폐기합니다.

    폐기한 키의 공개키는 그 키로 서명한 문서를 확인할 수 있는 동안 신뢰 묶음에 남습니다.
    교체 후에는 `minwon trust export`로 묶음을 다시 게시하고 서버를 다시 시작하십시오.
    """
    from minwon.catalog.loader import load_catalog
    from minwon.rendering.keys import load_keys, rotate_token_key

    settings = load_settings()
    longest = max((d.valid_days for d in load_catalog(settings.catalog_dir).all()), default=90)
    days = max(window_days, longest)
    key = rotate_token_key(settings.keys_dir, window=timedelta(days=days), now=datetime.now(UTC))
    _describe(bundle_from_keys_dir(settings.keys_dir), f"새 QR 토큰 키: {key.kid}")
    assert load_keys(settings.keys_dir).token_keyring.get(key.kid) is not None
