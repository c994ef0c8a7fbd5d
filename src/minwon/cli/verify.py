"""``minwon verify``: a document checked against the installed trust bundle only.

What it trusts is the bundle installed with ``minwon trust install`` (or one named with
``--bundle``); on the city's own machine, the public files of its keys folder. The
server named by ``--server`` is asked only for the document's status, and its answer
counts only if signed by a key in the bundle and fresh. Without a confirmed status the
answer is "서명은 유효하나 취소·만료 여부는 확인하지 못했습니다" (exit 3), never "유효".
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from minwon.cli.common import console, fail
from minwon.cli.common import settings as load_settings
from minwon.config import Settings
from minwon.issuance.numbers import InvalidNumber, display, normalise
from minwon.rendering.attestation import check_attestation, new_nonce
from minwon.rendering.qr_token import InvalidToken, TokenClaims, decode_token, token_from_url
from minwon.rendering.trust import BundleInvalid, TrustBundle, bundle_from_keys_dir, read_bundle

VALID, INVALID, UNREADABLE, UNCONFIRMED = 0, 1, 2, 3
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass
class _Report:
    """What the checks found, printed as one table."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    confirmed: bool = False
    unconfirmed_reason: str = "오프라인으로 확인했습니다"

    def row(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def finish(self) -> None:
        table = Table(title=self.title, show_header=False)
        for label, value in self.rows:
            table.add_row(label, value)
        for code, detail in self.problems:
            table.add_row(f"[red]문제[/] {code}", detail)
        console.print(table)
        if self.problems:
            console.print("[bold red]무효: 이 문서를 믿지 마십시오.[/]")
            raise typer.Exit(INVALID)
        if not self.confirmed:
            console.print(
                "[bold yellow]서명은 유효하나 취소·만료 여부는 확인하지 못했습니다.[/] "
                f"({self.unconfirmed_reason}) 발급 기록을 확인하려면 온라인으로 다시 "
                "확인하십시오."
            )
            raise typer.Exit(UNCONFIRMED)
        console.print("[bold green]유효한 문서입니다.[/]")


def _trust(
    settings: Settings, bundle: Path | None, keys_dir: Path | None
) -> tuple[TrustBundle, str]:
    """Returns the bundle to trust and where it came from; never from a server."""
    try:
        if bundle is not None:
            return read_bundle(bundle), f"{bundle} (지정한 신뢰 묶음)"
        if keys_dir is not None:
            return bundle_from_keys_dir(keys_dir), f"{keys_dir} (키 폴더의 공개 파일)"
        installed = settings.trust_bundle
        if installed is not None and installed.is_file():
            return read_bundle(installed), f"{installed} (설치한 신뢰 묶음)"
        if (settings.keys_dir / "root-ca.pem").is_file():
            found = bundle_from_keys_dir(settings.keys_dir)
            return found, f"{settings.keys_dir} (이 서버의 키 폴더)"
    except BundleInvalid as exc:
        fail(exc.detail_ko, exc.code, exit_code=UNREADABLE)
    fail(
        "신뢰 묶음이 설치되지 않았습니다. 시청이 게시한 신뢰 묶음을 받아 지문을 확인한 뒤 "
        "`minwon trust install 파일 --fingerprint 지문`으로 설치하세요.",
        "trust.not_installed",
        exit_code=UNREADABLE,
    )


def _status(server: str, number: str, nonce: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(
            f"{server.rstrip('/')}/api/v1/verify/{number}", params={"nonce": nonce}, timeout=3
        )
    except httpx.HTTPError:
        return None
    if response.status_code == 404:
        return {"status": "not_found", "status_label": "발급 기록이 없습니다"}
    if response.status_code != 200:
        return None
    try:
        data: dict[str, Any] = response.json()
    except ValueError:
        return None
    return data


def _check_status(
    report: _Report,
    *,
    server: str,
    number: str,
    bundle: TrustBundle,
    digest: str | None,
    pdf: bytes | None,
) -> None:
    """Asks the server for the status, believing only a signed, fresh answer."""
    nonce = new_nonce()
    answer = _status(server, number, nonce)
    if answer is None:
        report.row("발급 기록", f"{server}에 연결할 수 없음")
        report.unconfirmed_reason = "확인 서버에 닿지 못했습니다"
        return
    if answer.get("status") == "not_found":
        # An unsigned "not found" is still a reason to distrust, not a confirmation.
        report.problems.append(("online.not_found", "발급 기록이 없는 문서입니다."))
        return
    check = check_attestation(
        answer, number=number, nonce=nonce, keys=bundle.token_keys, now=_now()
    )
    if not check.ok:
        report.row("발급 기록", f"믿을 수 없는 응답: {check.problem}")
        report.unconfirmed_reason = "확인 서버의 응답을 믿을 수 없습니다 (위장 서버일 수 있음)"
        return
    report.confirmed = True
    report.row("발급 기록", str(answer.get("status_label")))
    if answer.get("status") != "valid":
        report.problems.append((f"online.{answer.get('status')}", str(answer.get("status_label"))))
    elif digest is not None and answer.get("content_hash") != digest:
        report.problems.append(("online.hash_mismatch", "발급 기록과 문서 내용이 다릅니다."))
    issued_sha = answer.get("pdf_sha256")
    if pdf is not None and issued_sha:
        same = hashlib.sha256(pdf).hexdigest() == issued_sha
        report.row("발급 파일과 동일", "예 (바이트 단위로 같음)" if same else "아니오")
        if not same:
            report.problems.append(("pdf.not_the_issued_file", "발급한 파일과 바이트가 다릅니다."))


def _now() -> datetime:
    return datetime.now(UTC)


def _claims_rows(report: _Report, claims: TokenClaims) -> None:
    report.row("문서확인번호", display(claims.number))
    report.row("QR 토큰", f"서명 유효 (키 {claims.kid or '구형 토큰'})")
    report.row("발급일시", claims.issued_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    report.row("확인 기한", claims.expires_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    if claims.expires_at <= _now():
        report.problems.append(("token.expired", "확인 기간이 지난 문서입니다."))


def _verify_pdf_file(
    path: Path, bundle: TrustBundle, source: str, server: str, offline: bool
) -> None:
    from minwon.rendering.verify_pdf import verify_with

    data = path.read_bytes()
    verdict = verify_with(data, bundle)
    if any(code == "pdf.unreadable" for code, _ in verdict.problems):
        fail(verdict.problems[0][1], "pdf.unreadable", exit_code=UNREADABLE)
    report = _Report(f"진위 확인: {path.name}")
    report.row("신뢰 기준", source)
    report.row("전자서명", "유효" if verdict.signature_valid and verdict.intact else "무효")
    report.row("서명 범위", "문서 전체" if verdict.coverage_entire else "일부 (서명 후 변경됨)")
    if verdict.signer:
        report.row("서명자", verdict.signer)
    report.problems.extend(verdict.problems)
    if verdict.claims is not None:
        _claims_rows(report, verdict.claims)
        if not offline and not report.problems:
            _check_status(
                report,
                server=server,
                number=verdict.claims.number,
                bundle=bundle,
                digest=verdict.claims.content_hash,
                pdf=data,
            )
    report.finish()


def _scan(path: Path) -> str:
    """Returns the text of the QR code in an image (zbarimg, from zbar-tools)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        fail("QR 이미지를 읽으려면 zbarimg(zbar-tools)가 필요합니다.", "qr.no_reader", UNREADABLE)
    try:
        done = subprocess.run(
            [zbarimg, "--quiet", "--raw", str(path)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        fail("QR 이미지를 읽는 데 시간이 너무 걸렸습니다.", "qr.unreadable", UNREADABLE)
    if done.returncode != 0 or not done.stdout.strip():
        fail("이미지에서 QR 코드를 찾지 못했습니다.", "qr.unreadable", exit_code=UNREADABLE)
    return done.stdout.strip().splitlines()[0]


def _verify_token(text: str, bundle: TrustBundle, source: str, server: str, offline: bool) -> None:
    report = _Report("QR 코드 진위 확인")
    report.row("신뢰 기준", source)
    try:
        claims = decode_token(token_from_url(text), bundle.token_keys)
    except InvalidToken as exc:
        report.problems.append((exc.code, exc.detail_ko))
        report.finish()
        return
    _claims_rows(report, claims)
    if not offline and not report.problems:
        _check_status(
            report,
            server=server,
            number=claims.number,
            bundle=bundle,
            digest=claims.content_hash,
            pdf=None,
        )
    report.finish()


def _verify_number(text: str, bundle: TrustBundle, server: str) -> None:
    try:
        number = normalise(text)
    except InvalidNumber as exc:
        fail(f"파일이 없고 문서확인번호도 아닙니다: {exc.detail}", exc.code, exit_code=UNREADABLE)
    report = _Report(f"문서확인번호 {display(number)}")
    _check_status(report, server=server, number=number, bundle=bundle, digest=None, pdf=None)
    if not report.confirmed and not report.problems:
        fail("확인 서버에서 믿을 수 있는 답을 받지 못했습니다.", "verify.offline", UNREADABLE)
    report.finish()


def verify(
    target: Annotated[
        str, typer.Argument(help="PDF 파일, QR 사진, QR 주소·토큰, 또는 문서확인번호")
    ],
    server: Annotated[
        str | None,
        typer.Option(help="취소·만료 여부를 물을 서버 (기본: MINWON_PUBLIC_BASE_URL)"),
    ] = None,
    bundle: Annotated[Path | None, typer.Option(help="설치한 것 대신 쓸 신뢰 묶음 파일")] = None,
    keys_dir: Annotated[
        Path | None, typer.Option(help="신뢰 묶음 대신 이 키 폴더의 공개 파일을 신뢰")
    ] = None,
    offline: Annotated[bool, typer.Option(help="발급 기록을 묻지 않습니다")] = False,
) -> None:
    """민원 문서의 진위를 확인합니다: PDF 전자서명, QR 토큰, 발급 기록.

    신뢰하는 것은 설치한 신뢰 묶음뿐입니다(`minwon trust install`). 확인 서버에는
    취소·만료 여부만 묻고, 그 답도 신뢰 묶음의 키로 서명되어 있어야 믿습니다.

    종료 코드: 0 유효(발급 기록으로 취소·만료 여부까지 확인), 1 무효(위·변조, 취소, 만료
    포함), 2 파일이나 신뢰 묶음을 읽을 수 없음, 3 서명은 유효하나 취소·만료 여부를
    확인하지 못함(--offline, 서버에 닿지 못함, 서버 응답을 믿을 수 없음).
    """
    settings = load_settings()
    server = server or settings.public_base_url
    trusted, source = _trust(settings, bundle, keys_dir)
    path = Path(target)
    if path.is_file():
        head = path.read_bytes()[:5]
        if head.startswith(b"%PDF"):
            _verify_pdf_file(path, trusted, source, server, offline)
        elif path.suffix.lower() in _IMAGE_SUFFIXES:
            _verify_token(_scan(path), trusted, source, server, offline)
        else:
            fail("PDF 파일도 QR 이미지도 아닙니다.", "verify.unknown_file", exit_code=UNREADABLE)
    elif target.strip().startswith(("MW1.", "MW2.")) or "t=" in target:
        _verify_token(target, trusted, source, server, offline)
    elif offline:
        fail("문서확인번호만으로는 오프라인 확인을 할 수 없습니다.", "verify.offline", UNREADABLE)
    else:
        _verify_number(target, trusted, server)
