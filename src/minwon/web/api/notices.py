"""A citizen's notices and who obtained copies of their records; a clerk's view of who
applied for an issuance."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from minwon.errors import NotFound
from minwon.issuance.applicants import applicant_for, copies_of_my_records
from minwon.issuance.reading import issuance_for
from minwon.notifications import services as notices
from minwon.notifications.model import NoticePreferences
from minwon.web.deps import ClerkDep, ContainerDep, PrincipalDep

router = APIRouter(tags=["notices"])


class NoticeOut(BaseModel):
    id: str
    kind: str
    message: str
    created_at: datetime
    delivered_at: datetime
    channels: dict[str, str] = Field(description="경로별 전달 상태 (inbox, email, sms)")


class NoticeSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    copy_notices: bool = Field(
        description="주민등록표 등·초본 교부 사실 통보: 본인·세대원이 아닌 사람이 발급받으면 알림"
    )
    email: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=20, description="휴대전화 (010…)")


class NoticeSettingsOut(BaseModel):
    copy_notices: bool
    email: str | None
    phone: str | None


class RecordCopyOut(BaseModel):
    issued_at: datetime
    document: str
    office: str
    channel: str
    requester_class: str | None
    requester: str = Field(description="신청 자격 (세대원, 위임받은 대리인, 제29조② 사유)")
    purpose: str | None
    voided: bool


class ApplicantOut(BaseModel):
    name: str
    rrn_masked: str | None
    relation: str
    requester_class: str
    ground: str | None
    purpose: str | None
    identification: str
    id_checked: bool
    checked_by: str | None
    delegation_written_on: date | None
    delegation_valid_until: date | None
    delegation_scope: list[str]
    delegator_id_seen: bool | None
    delegate_id_checked: bool | None
    delegator_id_checked: bool | None
    fingerprint_taken: bool | None
    fingerprint_digest: str | None
    recorded_at: datetime


@router.get("/me/notices", response_model=list[NoticeOut], summary="내 알림함")
def my_notices(c: ContainerDep, p: PrincipalDep) -> list[NoticeOut]:
    return [
        NoticeOut(
            id=e.notice.id,
            kind=e.notice.kind,
            message=e.notice.message,
            created_at=e.notice.created_at,
            delivered_at=e.delivered_at,
            channels=dict(e.channels),
        )
        for e in notices.inbox(c.notifications, principal=p)
    ]


def _settings_out(s: NoticePreferences) -> NoticeSettingsOut:
    return NoticeSettingsOut(copy_notices=s.copy_notices, email=s.email, phone=s.phone)


@router.get("/me/notice-settings", response_model=NoticeSettingsOut, summary="알림 설정")
def my_notice_settings(c: ContainerDep, p: PrincipalDep) -> NoticeSettingsOut:
    return _settings_out(notices.preferences(c.notifications, principal=p))


@router.put(
    "/me/notice-settings",
    response_model=NoticeSettingsOut,
    summary="알림 설정 바꾸기 (교부 사실 통보 신청·해지, 연락처)",
)
def save_notice_settings(
    body: NoticeSettingsIn, c: ContainerDep, p: PrincipalDep
) -> NoticeSettingsOut:
    saved = notices.save_preferences(
        c.notifications,
        principal=p,
        copy_notices=body.copy_notices,
        email=body.email,
        phone=body.phone,
    )
    return _settings_out(saved)


@router.get(
    "/me/record-copies",
    response_model=list[RecordCopyOut],
    summary="내 기록 발급 사실: 다른 사람이 발급받은 내 등·초본 등 (날짜, 기관, 자격, 용도)",
)
def my_record_copies(c: ContainerDep, p: PrincipalDep) -> list[RecordCopyOut]:
    return [
        RecordCopyOut(
            issued_at=r.issued_at,
            document=r.title,
            office=r.office_name,
            channel=r.channel,
            requester_class=r.requester_class,
            requester=r.requester_label,
            purpose=r.purpose,
            voided=r.voided,
        )
        for r in copies_of_my_records(c.issuance, principal=p)
    ]


@router.get(
    "/issuances/{number}/applicant",
    response_model=ApplicantOut,
    tags=["issuance"],
    summary="신청인과 확인한 증빙 (담당 공무원; 주민등록번호는 가려서)",
)
def issuance_applicant(number: str, c: ContainerDep, p: ClerkDep) -> ApplicantOut:
    record = issuance_for(c.issuance, principal=p, number=number)
    found = applicant_for(c.issuance, principal=p, record=record)
    if found is None:
        raise NotFound(
            "applicant.not_recorded", "이 발급 기록에는 신청인 기록이 없습니다 (기록 이전 발급)."
        )
    return ApplicantOut(
        name=found.name,
        rrn_masked=found.rrn_masked,
        relation=found.relation,
        requester_class=found.requester_class,
        ground=found.ground,
        purpose=found.purpose,
        identification=found.identification,
        id_checked=found.id_checked,
        checked_by=found.checked_by,
        delegation_written_on=found.delegation_written_on,
        delegation_valid_until=found.delegation_valid_until,
        delegation_scope=list(found.delegation_scope),
        delegator_id_seen=found.delegator_id_seen,
        delegate_id_checked=found.delegate_id_checked,
        delegator_id_checked=found.delegator_id_checked,
        fingerprint_taken=found.fingerprint_taken,
        fingerprint_digest=found.fingerprint_digest,
        recorded_at=found.recorded_at,
    )
