"""``minwon issue`` (``minwon verify`` is in cli/verify.py)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from minwon.bootstrap import Container
from minwon.cli.common import console, container, fail
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.documents import document_pdf
from minwon.issuance.numbers import display
from minwon.issuance.services import issue_document


def _principal_from(spec: str, c: Container) -> Principal:
    kind, _, name = spec.partition(":")
    with c.uows(readonly=True) as uow:
        if kind == "citizen":
            citizen = uow.identity.citizen(name)
            if citizen:
                return citizen.as_citizen()
        elif kind == "clerk":
            clerk = uow.identity.clerk(name)
            if clerk:
                return clerk.as_clerk()
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
        out.write_bytes(document_pdf(c.issuance, outcome.record))
    console.print(
        f"발급했습니다: {display(outcome.record.number)} → {out} (수수료 {outcome.fee.amount:,}원)"
    )
