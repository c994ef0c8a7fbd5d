"""``minwon issue`` and ``minwon verify``."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from rich.table import Table

from minwon.cli.common import console, container, fail
from minwon.cli.common import settings as load_settings
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.numbers import InvalidNumber, display, normalise
from minwon.issuance.services import issue_document


def _principal_from(spec: str, c: Any) -> Principal:
    kind, _, name = spec.partition(":")
    with c.uows(readonly=True) as uow:
        if kind == "citizen":
            account = uow.identity.citizen(name)
            if account:
                return Principal(PrincipalKind.CITIZEN, account.id, resident_id=account.resident_id)
        elif kind == "clerk":
            account = uow.identity.clerk(name)
            if account:
                return Principal(
                    PrincipalKind.CLERK,
                    account.id,
                    office_code=account.office_code,
                    role=account.role,
                    name=account.name,
                )
    fail(f"계정을 찾을 수 없습니다: {spec} (형식: citizen:아이디 또는 clerk:아이디)", "cli.account")


def issue(
    document_type: Annotated[
        str, typer.Argument(help="증명서 종류 (deungbon, chobon, ingam, napse, geonchuk)")
    ],
    as_: Annotated[
        str, typer.Option("--as", help="발급하는 사람: citizen:아이디 또는 clerk:아이디")
    ],
    out: Annotated[Path, typer.Option(help="서명된 PDF를 저장할 파일")] = Path("document.pdf"),
    subject_id: Annotated[
        str | None, typer.Option(help="발급 대상 주민의 내부 ID (기본: 본인)")
    ] = None,
    requester_id: Annotated[str | None, typer.Option(help="창구: 신청인의 주민 내부 ID")] = None,
    id_checked: Annotated[bool, typer.Option(help="창구: 신청인 신분증을 확인했음")] = False,
    building: Annotated[str | None, typer.Option(help="건축물대장 번호")] = None,
    item: Annotated[list[str] | None, typer.Option(help="선택 항목 code=value (여러 번)")] = None,
    purpose: Annotated[str | None, typer.Option(help="용도·목적")] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency-Key (기본: 새로 만듦)")] = None,
) -> None:
    """증명서 한 부를 발급하고 서명된 PDF로 저장합니다.

    주민등록번호는 명령줄에 쓰지 않습니다(프로세스 목록에 남기 때문). 주민은 내부 ID로
    지정합니다. 웹 API와 같은 서비스를 거치므로 자격 확인, 수수료, 감사 기록이 같습니다.
    """
    items: dict[str, str | bool] = {}
    for pair in item or []:
        code, _, value = pair.partition("=")
        items[code] = {"true": True, "false": False}.get(value.lower(), value)
    with container() as c:
        principal = _principal_from(as_, c)
        requester = None
        if principal.kind is PrincipalKind.CLERK:
            if not requester_id:
                fail("창구 발급에는 --requester-id 가 필요합니다.", "cli.requester")
            with c.uows(readonly=True) as uow:
                person = uow.registry.resident(requester_id)
            if person is None:
                fail("신청인을 찾을 수 없습니다.", "registry.requester_not_found")
            requester = CounterRequester(person.name, person.rrn, id_checked)
        cmd = IssueDocument(
            idempotency_key=key or f"cli-{uuid.uuid4().hex}",
            document_type=document_type,
            subject_resident_id=subject_id,
            building_number=building,
            items=items,
            purpose=purpose,
            requester=requester,
        )
        outcome = issue_document(c.issuance, principal=principal, cmd=cmd)
        out.write_bytes(c.renderer.pdf_for(outcome.record))
    console.print(
        f"발급했습니다: {display(outcome.record.number)} → {out} (수수료 {outcome.fee.amount:,}원)"
    )


@dataclass
class _Trust:
    root: x509.Certificate
    token_key: ed25519.Ed25519PublicKey
    source: str


def _published_keys(server: str) -> _Trust | None:
    try:
        response = httpx.get(f"{server.rstrip('/')}/api/v1/keys", timeout=3)
        response.raise_for_status()
        doc = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    raw = base64.urlsafe_b64decode(doc["token_key"]["public_key"] + "==")
    return _Trust(
        root=x509.load_pem_x509_certificate(doc["root_certificate"].encode()),
        token_key=ed25519.Ed25519PublicKey.from_public_bytes(raw),
        source=f"{server} (게시된 공개키)",
    )


def _local_keys(keys_dir: Path) -> _Trust:
    from minwon.rendering.keys import KeysMissing, load_keys

    try:
        material = load_keys(keys_dir)
    except KeysMissing as exc:
        fail(str(exc), "keys.missing", exit_code=2)
    return _Trust(material.root_cert, material.token_public, f"{keys_dir} (로컬 키)")


def _online(server: str, number: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{server.rstrip('/')}/api/v1/verify/{number}", timeout=3)
    except httpx.HTTPError:
        return None
    if response.status_code == 404:
        return {"status": "not_found", "status_label": "발급 기록이 없습니다"}
    if response.status_code != 200:
        return None
    data: dict[str, Any] = response.json()
    return data


UNCONFIRMED = 3  # exit code: the signature holds, the record's status was not confirmed


def verify(
    target: Annotated[str, typer.Argument(help="PDF 파일 경로 또는 문서확인번호")],
    server: Annotated[
        str | None, typer.Option(help="온라인 확인 서버 (기본: MINWON_PUBLIC_BASE_URL)")
    ] = None,
    keys_dir: Annotated[
        Path | None, typer.Option(help="게시된 공개키 대신 쓸 로컬 키 폴더")
    ] = None,
    offline: Annotated[bool, typer.Option(help="온라인 발급 기록을 확인하지 않습니다")] = False,
) -> None:
    """민원 문서의 진위를 확인합니다: PDF 전자서명, QR 토큰 서명, 온라인 발급 기록.

    종료 코드: 0 유효(발급 기록으로 취소·만료 여부까지 확인), 1 무효(위·변조, 취소, 만료
    포함), 2 파일이나 키를 읽을 수 없음, 3 서명은 유효하나 취소·만료 여부를 확인하지 못함
    (--offline이거나 확인 서버에 닿지 못함).
    """
    settings = load_settings()
    server = server or settings.public_base_url
    path = Path(target)
    if not path.exists():
        try:
            number = normalise(target)
        except InvalidNumber as exc:
            fail(f"파일이 없고 문서확인번호도 아닙니다: {exc.detail}", exc.code, exit_code=2)
        record = _online(server, number)
        if record is None:
            fail("확인 서버에 연결할 수 없습니다.", "verify.offline", exit_code=2)
        console.print(f"{display(number)}: {record.get('status_label')}")
        raise typer.Exit(0 if record.get("status") == "valid" else 1)
    from minwon.rendering.verify_pdf import verify_pdf

    trust = (
        (_local_keys(keys_dir) if keys_dir else None)
        or (None if offline else _published_keys(server))
        or _local_keys(settings.keys_dir)
    )
    verdict = verify_pdf(path.read_bytes(), trust_root=trust.root, token_public_key=trust.token_key)
    if any(code == "pdf.unreadable" for code, _ in verdict.problems):
        fail(verdict.problems[0][1], "pdf.unreadable", exit_code=2)
    table = Table(title=f"진위 확인: {path.name}", show_header=False)
    table.add_row("신뢰 기준", trust.source)
    table.add_row("전자서명", "유효" if verdict.signature_valid and verdict.intact else "무효")
    table.add_row("서명 범위", "문서 전체" if verdict.coverage_entire else "일부 (서명 후 변경됨)")
    if verdict.signer:
        table.add_row("서명자", verdict.signer)
    problems = list(verdict.problems)
    confirmed = False  # only the issuance record can say the document was not voided
    if verdict.claims is not None:
        claims = verdict.claims
        table.add_row("문서확인번호", display(claims.number))
        table.add_row("QR 토큰", "서명 유효")
        if claims.expires_at <= datetime.now(UTC):
            problems.append(("token.expired", "확인 기간이 지난 문서입니다."))
        if not offline:
            record = _online(server, claims.number)
            if record is None:
                table.add_row("온라인 기록", "연결할 수 없음 (오프라인 확인만 했습니다)")
            else:
                confirmed = True
                table.add_row("온라인 기록", str(record.get("status_label")))
                if record.get("status") != "valid":
                    problems.append(
                        (f"online.{record.get('status')}", str(record.get("status_label")))
                    )
                elif record.get("content_hash") != claims.content_hash:
                    problems.append(("online.hash_mismatch", "발급 기록과 문서 내용이 다릅니다."))
    for code, detail in problems:
        table.add_row(f"[red]문제[/] {code}", detail)
    console.print(table)
    if problems:
        console.print("[bold red]무효: 이 문서를 믿지 마십시오.[/]")
        raise typer.Exit(1)
    if not confirmed:
        console.print(
            "[bold yellow]서명은 유효하나 취소·만료 여부는 확인하지 못했습니다.[/] "
            "발급 기록을 확인하려면 온라인으로 다시 확인하십시오."
        )
        raise typer.Exit(UNCONFIRMED)
    console.print("[bold green]유효한 문서입니다.[/]")
