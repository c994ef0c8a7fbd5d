"""``/ops``: the operators' page: the availability report of a month (last month by
default, ``?month=YYYY-MM``), the incidents still open, and the report as a PDF
(``/ops/availability.pdf``). A report is made at most once per 30 s per month
(``operations/availability/kept_reports.py``): it costs the app instance seconds.

Only for operators, as ``/metrics`` is (web/operator_access.py): a client address in
``MINWON_METRICS_NETWORKS`` (after trusted proxies) or ``Authorization: Bearer`` with
``MINWON_METRICS_TOKEN``. Anyone else gets a readable Korean 403 page and nothing of the
report.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from minwon.errors import InvalidRequest, Unavailable
from minwon.operations.availability.html import render_section
from minwon.operations.availability.pdf import render_pdf
from minwon.operations.availability.period import PeriodError, choose
from minwon.operations.availability.report import CAUSE_KO, AvailabilityReport
from minwon.operations.availability.text import when
from minwon.operations.incidents.store import StoreUnavailableError
from minwon.web.deps import ContainerDep
from minwon.web.operator_access import from_operator
from minwon.web.pages.errors import error_page
from minwon.web.pages.rendering import render

router = APIRouter(prefix="/ops")


def _forbidden(request: Request) -> Response:
    return error_page(
        request,
        status=403,
        title="운영자 전용 화면입니다",
        detail=(
            "가용성 보고서와 장애 현황은 운영자 주소(MINWON_METRICS_NETWORKS)에서나 운영자 "
            "토큰(Authorization: Bearer)으로만 볼 수 있습니다."
        ),
        code="ops.forbidden",
    )


def _allowed(request: Request, c: ContainerDep) -> bool:
    web = c.settings.web
    return from_operator(request, web.metrics_networks, web.metrics_token)


def _report(c: ContainerDep, month: str) -> AvailabilityReport:
    now = c.clock.now().timestamp()
    try:
        period = choose(month_text=month.strip() or None, first=None, last=None, now=now)
        return c.kept_reports.report(period, now=now)
    except PeriodError as exc:
        raise InvalidRequest(exc.code, exc.message) from exc
    except StoreUnavailableError as exc:
        raise Unavailable(
            "ops.database", "데이터베이스에서 장애·요청 기록을 읽지 못했습니다."
        ) from exc


@router.get("")
def ops(request: Request, c: ContainerDep, month: str = "") -> Response:
    if not _allowed(request, c):
        return _forbidden(request)
    report = _report(c, month[:16])
    try:
        still_open = c.open_incidents()
    except StoreUnavailableError as exc:
        raise Unavailable("ops.database", "데이터베이스에서 장애 기록을 읽지 못했습니다.") from exc
    rows = [
        {
            "component": r.incident.component,
            "symptom": r.incident.symptom,
            "cause": CAUSE_KO.get(r.incident.cause, r.incident.cause.value),
            "code": r.incident.cause.value,
            "started": when(r.incident.started_at),
            "state": "원인 지속" if r.incident.ended_at is None else "증상 남음",
        }
        for r in still_open
    ]
    return render(
        request,
        "ops/availability.html",
        {
            "page_title": f"운영 현황 {report.period.label}",
            "month": report.period.label,
            "open_incidents": rows,
            "report_section": render_section(report),
        },
    )


@router.get("/availability.pdf")
def availability_pdf(request: Request, c: ContainerDep, month: str = "") -> Response:
    if not _allowed(request, c):
        return _forbidden(request)
    report = _report(c, month[:16])
    name = f"availability-{report.period.label}.pdf"
    return Response(
        render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
