"""What a citizen does with notices in the portal: read the inbox, choose where notices go
and whether to be told of copies others obtain (주민등록표 등·초본 교부 사실 통보)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from minwon.errors import Forbidden, InvalidRequest
from minwon.identity.model import Principal, PrincipalKind
from minwon.notifications.model import InboxEntry, NoticePreferences

if TYPE_CHECKING:
    from minwon.notifications.delivery import NotificationContext

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_MOBILE = re.compile(r"^01[016789]\d{7,8}$")


def _resident(principal: Principal) -> str:
    if principal.kind is not PrincipalKind.CITIZEN or principal.resident_id is None:
        raise Forbidden("notice.citizen_only", "알림은 로그인한 주민 본인만 볼 수 있습니다.")
    return principal.resident_id


def inbox(ctx: NotificationContext, *, principal: Principal) -> list[InboxEntry]:
    """Returns the notices in the citizen's portal inbox, newest first."""
    resident_id = _resident(principal)
    with ctx.uows(readonly=True) as uow:
        return uow.notices.inbox(resident_id)


def preferences(ctx: NotificationContext, *, principal: Principal) -> NoticePreferences:
    resident_id = _resident(principal)
    with ctx.uows(readonly=True) as uow:
        return uow.notices.preferences(resident_id)


def normalise_email(text: str | None) -> str | None:
    value = unicodedata.normalize("NFC", text or "").strip()
    if not value:
        return None
    if len(value) > 120 or not value.isascii() or not _EMAIL.match(value):
        raise InvalidRequest("notice.email_invalid", "전자우편 주소 형식이 올바르지 않습니다.")
    return value


def normalise_phone(text: str | None) -> str | None:
    value = (text or "").strip().replace("-", "").replace(" ", "")
    if not value:
        return None
    if not value.isascii() or not _MOBILE.match(value):
        raise InvalidRequest(
            "notice.phone_invalid", "휴대전화 번호는 010으로 시작하는 숫자 10~11자리여야 합니다."
        )
    return value


def save_preferences(
    ctx: NotificationContext,
    *,
    principal: Principal,
    copy_notices: bool,
    email: str | None,
    phone: str | None,
) -> NoticePreferences:
    """Saves where the citizen's notices go and the 교부 사실 통보 subscription."""
    chosen = NoticePreferences(
        resident_id=_resident(principal),
        email=normalise_email(email),
        phone=normalise_phone(phone),
        copy_notices=copy_notices,
    )
    with ctx.uows() as uow:
        uow.notices.save_preferences(chosen, ctx.clock.now())
        uow.commit()
    return chosen
