"""JSON shapes of the API (Pydantic 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

from minwon.inputs import EARLIEST_DATE, LATEST_DATE, date_in_range, nfc
from minwon.issuance.model import Ground


def _within_range(day: date) -> date:
    if not date_in_range(day):
        raise ValueError(f"{EARLIEST_DATE.isoformat()} ~ {LATEST_DATE.isoformat()} 사이의 날짜")
    return day


# A date the service can hold: 0001-01-01 or 9999-12-31 is 422, not an overflow later. The
# OpenAPI document says so with a pattern (years 1800-2099), so clients and the fuzz test
# know which dates are valid.
DAY_PATTERN = r"^(18|19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
Day = Annotated[
    date,
    AfterValidator(_within_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
# ASCII digits only (``\d`` and pydantic's own digit checks take ０-９ and other scripts').
Rrn = Annotated[
    str,
    Field(
        min_length=13,
        max_length=14,
        pattern=r"^[0-9]{6}-?[0-9]{7}$",
        description="주민등록번호 (ASCII 숫자 13자리, 가운데 '-' 선택)",
    ),
]
# Counts and yes/no answers exactly as JSON types them: "3" and true are not 3, "yes" is
# not true.
Count = Annotated[int, Field(strict=True, ge=1, le=20)]
Flag = StrictBool


# Compared byte for byte with what was set, so never normalised.
_VERBATIM = frozenset({"password"})


def _in_nfc(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_in_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_in_nfc(k): v if k in _VERBATIM else _in_nfc(v) for k, v in value.items()}
    return value


class Strict(BaseModel):
    """A request body: unknown fields refused, every text in NFC before it is checked."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _normalised(cls, data: Any) -> Any:
        return _in_nfc(data)


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class KioskSessionIn(Strict):
    rrn: Rrn = Field(description="주민등록번호 (지문과 함께 본인 확인)")
    fingerprint: str = Field(min_length=8, max_length=200, description="지문 인식기 판독값")


class SessionOut(BaseModel):
    token: str
    kind: str
    expires_at: datetime


class MeOut(BaseModel):
    kind: str
    id: str
    channel: str
    office_code: str | None
    resident_id: str | None
    role: str | None
    name: str | None


class CounterRequesterIn(Strict):
    name: str = Field(min_length=1, max_length=40)
    rrn: Rrn | None = None
    id_checked: Flag = Field(description="창구에서 신청인의 신분증을 확인했는지")


class DelegationIn(Strict):
    written_on: Day
    document_types: list[str] = Field(min_length=1)
    delegator_id_seen: Flag
    valid_until: Day | None = None


class ProxyIn(Strict):
    delegate_id_checked: Flag
    delegator_id_checked: Flag
    fingerprint_taken: Flag
    # Ignored: the proxy's age comes from the proxy's own number (requester.rrn).
    age: int | None = Field(
        default=None,
        ge=0,
        le=150,
        deprecated=True,
        description="무시합니다. 대리인의 나이는 대리인의 주민등록번호로 계산합니다.",
    )
    fingerprint: str | None = Field(
        default=None,
        min_length=8,
        max_length=200,
        description="대리인 지문 판독값 (저장하지 않고 키를 건 digest만 기록)",
    )


class PartyIn(Strict):
    name: str = Field(min_length=1, max_length=40)
    rrn: Rrn
    address: str = Field(min_length=1, max_length=200)


class IssueIn(Strict):
    document_type: str = Field(max_length=40, examples=["deungbon"])
    subject_resident_id: str | None = Field(default=None, max_length=32)
    subject_rrn: Rrn | None = None
    building_number: str | None = Field(default=None, max_length=32, pattern=r"^[0-9][0-9-]*$")
    items: dict[str, str | Flag] = Field(default_factory=dict)
    purpose: str | None = Field(default=None, max_length=200)
    ground: Ground | None = None
    delegation: DelegationIn | None = None
    exemption: str | None = Field(default=None, max_length=40)
    copies: Count = 1
    requester: CounterRequesterIn | None = None
    proxy: ProxyIn | None = None
    buyer: PartyIn | None = None


class FeeOut(BaseModel):
    amount: int
    exemption: str | None


class IssuanceOut(BaseModel):
    id: str
    number: str
    number_display: str
    document_type: str
    status: str
    channel: str
    office_code: str
    issued_at: datetime
    expires_at: datetime
    content_hash: str
    # SHA-256 of the signed PDF made at issuance: every download returns exactly those bytes
    # (None for an issuance whose PDF is made at its first download).
    pdf_sha256: str | None = None
    fee: FeeOut | None
    replayed: bool = False
    pdf_url: str
    verify_url: str
    snapshot: dict[str, object] | None = None
    probe: bool = False  # a test document of the release probe (issuance/probes.py)


class VoidIn(Strict):
    reason: str = Field(min_length=2, max_length=200)


class AttestationOut(BaseModel):
    """The city's signature over this answer (number, status, digest, time), by a token
    key from the trust bundle: a verifier believes a status only with it."""

    kid: str
    checked_at: str
    nonce: str
    signature: str


class SecondFactorOut(BaseModel):
    required: bool
    kind: Literal["none", "issue_date", "birth_date"]
    label: str
    state: Literal["not_required", "missing", "rejected", "accepted"]


class DocumentViewOut(BaseModel):
    """The items as the paper prints them, in its order (blocks: kv, heading, table …)."""

    title: str
    number: str
    issued: str
    office_name: str
    issuer: str
    statement: str
    blocks: list[dict[str, Any]]
    # The paper prints a whole 주민등록번호 that the blocks show as YYMMDD-G******.
    numbers_masked: bool = False


class VerificationOut(BaseModel):
    number: str
    # "probe": a test document of the release probe, without legal effect (never "valid").
    status: Literal["valid", "voided", "expired", "probe"]
    status_label: str
    document_type: str
    title: str
    issued_at: datetime
    expires_at: datetime
    voided_at: datetime | None
    office_name: str
    subject: str
    content_hash: str
    probe: bool = False
    attestation: AttestationOut | None = None
    second_factor: SecondFactorOut | None = None
    # The whole document, only for a valid one (and with the second factor, if asked).
    document: DocumentViewOut | None = None
    page_images: list[str] | None = None


class ResidentSearchIn(Strict):
    purpose: str = Field(min_length=2, max_length=200)
    name: str | None = Field(default=None, max_length=40)
    birth_date: Day | None = None
    rrn: Rrn | None = None


class ResidentOut(BaseModel):
    id: str
    name: str
    rrn_masked: str
    birth_date: date
    household_id: str | None
    address: str | None


class ItemOut(BaseModel):
    code: str
    label: str
    kind: str
    default: str | bool
    choices: list[list[str]]
    restricted_to: list[str]


class DocumentTypeOut(BaseModel):
    code: str
    title: str
    description: str
    subject: str
    channels: dict[str, int]
    items: list[ItemOut]
    exemptions: list[dict[str, str]]
    valid_days: int


class RegisterEntryOut(BaseModel):
    number: str
    document_type: str
    issued_at: datetime
    status: str
    requester_kind: str
    fee: int | None


class CheckLineOut(BaseModel):
    code: str
    label: str
    outcome: Literal["passed", "failed", "unknown"]
    result: str  # 통과 / 실패 / 확인할 수 없음
    detail: str


class DocumentCheckOut(BaseModel):
    verdict: Literal["document.genuine", "document.unconfirmed", "document.untrusted"]
    trustworthy: bool
    headline: str
    number: str | None
    status: Literal["valid", "voided", "expired"] | None
    checks: list[CheckLineOut]
