"""감독 기록: a supervisor's page of an office's refusals, refused reads, failed voids and
resident look-ups of a day (issuance/oversight.py decides who sees which office)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response

from minwon.errors import InvalidRequest
from minwon.identity.roles import role_of
from minwon.issuance.oversight import REVIEWED, office_day
from minwon.registry.services import office_name
from minwon.web.deps import ContainerDep
from minwon.web.pages.common import ClerkPageDep, title_of
from minwon.web.pages.rendering import render

router = APIRouter(prefix="/counter")

ACTORS = {"clerk": "공무원", "citizen": "시민", "kiosk": "발급기", "operator": "운영자"}
CHANNELS = {"counter": "창구", "online": "인터넷", "kiosk": "발급기", "cli": "명령줄"}


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRequest("oversight.day", "날짜를 YYYY-MM-DD로 입력해 주세요.") from exc


@router.get("/oversight")
def oversight(
    request: Request, c: ContainerDep, p: ClerkPageDep, day: str = "", office: str = ""
) -> Response:
    found = office_day(c.issuance, principal=p, office_code=office[:16] or None, day=_day(day))
    name = office_name(c.registry, found.office_code) or found.office_code
    role = role_of(p)
    rows = [
        {
            "event": e,
            "action": REVIEWED.get(e.action, e.action),
            "actor": f"{ACTORS.get(e.actor_kind, e.actor_kind)} {e.actor_id}",
            "channel": CHANNELS.get(e.channel, e.channel),
            "document": title_of(c, e.document_type) if e.document_type else "",
        }
        for e in found.events
    ]
    return render(
        request,
        "counter/oversight.html",
        {
            "page_title": "감독 기록",
            "user": f"{p.name or p.id} · {office_name(c.registry, p.office_code) or ''}",
            "role_label": role.label if role else "",
            "oversees": True,
            "office": found.office_code,
            "office_name": name,
            "day": found.day.isoformat(),
            "rows": rows,
            "refusals": found.refusals,
            "lookups": found.lookups,
        },
    )
