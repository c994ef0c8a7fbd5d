"""인터넷 민원: a citizen's notices (알림함), where notices go and the 교부 사실 통보
subscription (알림 설정), and who obtained copies of their records (내 기록 발급 사실)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from minwon.errors import InvalidRequest
from minwon.issuance.applicants import copies_of_my_records
from minwon.notifications import services as notices
from minwon.notifications.model import CHANNEL_LABELS, NoticeChannel
from minwon.registry.services import household_of
from minwon.web.deps import ContainerDep
from minwon.web.pages.common import CitizenDep, field, flag
from minwon.web.pages.csrf import CheckedForm
from minwon.web.pages.rendering import redirect, render

router = APIRouter(prefix="/portal")
STATE_LABELS = {
    "pending": "보내는 중",
    "sending": "보내는 중",
    "handed_over": "보내는 중",
    "delivered": "전달됨",
    "failed": "실패",
    "unconfirmed": "확인 안 됨",
}


def _user(c: ContainerDep, p: CitizenDep) -> str:
    people = household_of(c.registry, p.resident_id)
    return people[0].name if people else p.id


def _channels(pairs: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(
        f"{CHANNEL_LABELS.get(NoticeChannel(ch), ch)} {STATE_LABELS.get(st, st)}"
        for ch, st in pairs
    )


@router.get("/notices")
def inbox(request: Request, c: ContainerDep, p: CitizenDep) -> Response:
    entries = notices.inbox(c.notifications, principal=p)
    return render(
        request,
        "portal/notices.html",
        {
            "page_title": "알림함",
            "user": _user(c, p),
            "entries": [(e, _channels(e.channels)) for e in entries],
        },
    )


@router.get("/notices/settings")
def settings_form(request: Request, c: ContainerDep, p: CitizenDep, saved: int = 0) -> Response:
    return render(
        request,
        "portal/notice_settings.html",
        {
            "page_title": "알림 설정",
            "user": _user(c, p),
            "prefs": notices.preferences(c.notifications, principal=p),
            "saved": bool(saved),
            "error": None,
        },
    )


@router.post("/notices/settings")
def save_settings(request: Request, form: CheckedForm, c: ContainerDep, p: CitizenDep) -> Response:
    try:
        notices.save_preferences(
            c.notifications,
            principal=p,
            copy_notices=flag(form, "copy_notices"),
            email=field(form, "email")[:120],
            phone=field(form, "phone")[:20],
        )
    except InvalidRequest as exc:
        return render(
            request,
            "portal/notice_settings.html",
            {
                "page_title": "알림 설정",
                "user": _user(c, p),
                "prefs": notices.preferences(c.notifications, principal=p),
                "saved": False,
                "error": exc.detail,
            },
            status=422,
        )
    return redirect("/portal/notices/settings?saved=1")


@router.get("/record-copies")
def record_copies(request: Request, c: ContainerDep, p: CitizenDep) -> Response:
    return render(
        request,
        "portal/record_copies.html",
        {
            "page_title": "내 기록 발급 사실",
            "user": _user(c, p),
            "rows": copies_of_my_records(c.issuance, principal=p),
        },
    )
