"""The public status page: ``/status`` (HTML) and ``/status.json``, no login (issue 14).

Since 2023 an outage of a major public system is a public notice: citizens and the press
read this page, hardest while something fails. It shows each channel's state and the
incidents of the last 90 days in plain Korean (operations/availability/: the rules in
``status.py``, the wording in ``public_text.py``), never a component, host, address or
note meant for operators. The board is kept a few seconds in the process
(``board.PublicStatus``), so a crowd refreshing it costs the database a few small
queries per interval; the answers may be cached as long (``Cache-Control``) and set no
cookie. When the incidents cannot be read the page says the state cannot be told
(확인할 수 없음), with 200: it is the page people open when things are broken.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from minwon.operations.availability.board import StatusBoard
from minwon.operations.availability.public_text import PublicIncident, kst, span
from minwon.operations.availability.status import HISTORY_DAYS, IMPACTS, UNKNOWN
from minwon.web.deps import ContainerDep
from minwon.web.pages.rendering import render

router = APIRouter()
CACHE = {"Cache-Control": "public, max-age=5"}
HEADLINES = {
    "operational": "모든 민원 서비스가 정상 운영 중입니다.",
    "degraded": "일부 민원 서비스에 지연이나 장애가 있습니다.",
    "outage": "민원 서비스 이용이 중단되어 있습니다. 복구 중입니다.",
    UNKNOWN: "지금은 서비스 상태를 확인할 수 없습니다. 잠시 뒤 다시 확인해 주세요.",
}
SOME_STOPPED = "일부 이용 경로에서 서비스가 중단되어 있습니다. 아래 경로별 상태를 확인해 주세요."


def _headline(board: StatusBoard) -> str:
    if board.state == "outage" and set(board.states.values()) != {"outage"}:
        return SOME_STOPPED
    return HEADLINES[board.state]


def _when(incident: PublicIncident) -> str:
    start = kst(incident.started_at)
    if incident.ended_at is None:
        return f"{start}부터 (진행 중)"
    end = kst(incident.ended_at)
    end = end[11:] if end[:10] == start[:10] else end
    return f"{start} ~ {end} (약 {span(incident.ended_at - incident.started_at)})"


def _channels(board: StatusBoard) -> list[dict[str, str]]:
    return [
        {"name": c["name"], "state": c["state"], "state_label": c["state_label"]}
        for c in board.to_dict()["channels"]
    ]


@router.get("/status")
def status_page(request: Request, c: ContainerDep) -> Response:
    """Each channel's state and the incident history, for anyone."""
    board = c.public_status.board()
    return render(
        request,
        "status.html",
        {
            "page_title": "서비스 상태",
            "board": board,
            "headline": _headline(board),
            "generated": kst(board.generated_at),
            "channels": _channels(board),
            "days": HISTORY_DAYS,
            "impact_labels": IMPACTS,
            "when": _when,
            "kst": kst,
        },
        headers=CACHE,
        stateless=True,
    )


@router.get("/status.json")
def status_json(c: ContainerDep) -> Response:
    """The same, machine-readable: stable state, impact and cause codes."""
    return Response(c.public_status.board().json, media_type="application/json", headers=CACHE)
