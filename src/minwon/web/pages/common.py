"""What several page areas share: who is signed in, the selectable items, the household."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from minwon.bootstrap import Container
from minwon.catalog.model import Channel, DocumentType, Item
from minwon.errors import InvalidRequest, MinwonError, NotFound, Unauthorized
from minwon.identity.model import Principal, PrincipalKind
from minwon.identity.services import authenticate
from minwon.inputs import ascii_digits, date_in_range, nfc
from minwon.issuance.documents import document_pdf
from minwon.issuance.model import ItemValue
from minwon.issuance.reading import IssuanceEntry, check_downloadable
from minwon.issuance.records import IssuanceRecord, IssuanceStatus
from minwon.web.deps import ContainerDep
from minwon.web.pages.sessions import session_token


def signed_in(request: Request, c: ContainerDep, kind: PrincipalKind) -> Principal:
    """Returns the principal of the session cookie, which must be of ``kind``."""
    token = session_token(request)
    if not token:
        raise Unauthorized("auth.required", "로그인이 필요합니다.")
    principal = authenticate(c.identity, token)
    if principal.kind is not kind:
        raise Unauthorized("auth.required", "이 화면을 쓰려면 다시 로그인해 주세요.")
    return principal


def citizen(request: Request, c: ContainerDep) -> Principal:
    return signed_in(request, c, PrincipalKind.CITIZEN)


def clerk(request: Request, c: ContainerDep) -> Principal:
    return signed_in(request, c, PrincipalKind.CLERK)


CitizenDep = Annotated[Principal, Depends(citizen)]
ClerkPageDep = Annotated[Principal, Depends(clerk)]


def new_idempotency_key(prefix: str) -> str:
    """Returns a key rendered into an issue form: resubmitting the form never issues twice."""
    return f"{prefix}-{uuid.uuid4().hex}"


def document_or_404(c: Container, code: str) -> DocumentType:
    document = c.catalog.get(code)
    if document is None:
        raise NotFound("catalog.unknown_type", "요청한 증명서 종류가 없습니다.")
    return document


def fee_for(document: DocumentType, channel: Channel) -> int | None:
    """Returns the fee of one copy through ``channel``, or None if it is not offered there."""
    offer = document.offer(channel)
    return offer.fee if offer else None


def field(form: FormData, name: str) -> str:
    """Returns a text field in NFC, stripped; missing fields and file uploads read as ''."""
    value = form.get(name)
    return nfc(value).strip() if isinstance(value, str) else ""


def secret(form: FormData, name: str) -> str:
    """Returns a password field as typed (stripped, never normalised: it is compared with
    what was set, byte for byte)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def retry_after(exc: MinwonError) -> dict[str, str] | None:
    """Returns the Retry-After header of a refusal that says when to try again."""
    seconds = exc.extra.get("retry_after")
    return {"Retry-After": str(seconds)} if seconds is not None else None


def copies(form: FormData, name: str = "copies") -> int:
    """Returns the number of copies typed in ASCII digits ('' reads as 1); anything else
    (３, 3.0, -1) is refused rather than read as something it does not say."""
    text = field(form, name)
    if not text:
        return 1
    if not ascii_digits(text) or len(text) > 3:
        raise InvalidRequest("form.copies", "발급 부수는 숫자(0-9)로 입력해 주세요.")
    return int(text)


def parse_day(text: str) -> date | None:
    """Returns the date typed as YYYY-MM-DD, or None when it is not one or lies outside
    what the service can hold (0001-01-01, 9999-12-31)."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if date_in_range(value) else None


def flag(form: FormData, name: str) -> bool:
    return field(form, name) in {"1", "on", "true", "yes"}


def items_from(form: FormData, document: DocumentType) -> dict[str, ItemValue]:
    """Returns the items the person changed from the statute's defaults.

    Only changes are sent: an unchanged default stays the service's decision, so an item
    the requester is not entitled to is dropped quietly instead of refused.
    """
    chosen: dict[str, ItemValue] = {}
    for item in document.items:
        name = f"item_{item.code}"
        value: ItemValue = (
            flag(form, name) if item.kind == "flag" else field(form, name) or str(item.default)
        )
        if value != item.default:
            chosen[item.code] = value
    return chosen


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item as a form shows it."""

    item: Item
    field_name: str
    value: ItemValue


def item_views(
    document: DocumentType, values: dict[str, ItemValue] | None = None
) -> list[ItemView]:
    values = values or {}
    return [
        ItemView(item=i, field_name=f"item_{i.code}", value=values.get(i.code, i.default))
        for i in document.items
    ]


def pdf_of(c: Container, record: IssuanceRecord) -> bytes:
    """Returns the signed PDF of a record the caller may see, as stored at its issuance;
    none for a voided one."""
    check_downloadable(record)
    return document_pdf(c.issuance, record)


@dataclass(frozen=True, slots=True)
class IssuanceRow:
    """One line of a list of issuances (발급 내역, 교부대장)."""

    record: IssuanceRecord
    title: str
    fee: int | None

    @property
    def valid(self) -> bool:
        return self.record.status is IssuanceStatus.VALID


def issuance_rows(c: Container, entries: list[IssuanceEntry]) -> list[IssuanceRow]:
    """Returns the entries with their titles and the fee charged for each."""
    return [
        IssuanceRow(e.record, title_of(c, e.record.document_type), e.fee.amount if e.fee else None)
        for e in entries
    ]


def title_of(c: Container, code: str) -> str:
    document = c.catalog.get(code)
    return document.title if document else code
