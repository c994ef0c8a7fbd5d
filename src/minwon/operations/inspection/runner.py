"""Runs every check at once, each with a deadline, and gathers the report.

Each check runs in a daemon thread of its own: one that hangs (a socket nobody answers,
a frozen process) is graded 위험 "응답 없음" when its deadline passes and is left behind,
so the command never hangs and never waits for it at exit. A check that raises is 위험
with the error: an inspection that could not look has not seen health.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from minwon.operations.inspection.model import CheckResult, InspectionReport, critical


@dataclass(frozen=True)
class Check:
    """One readiness check: its stable id, Korean title, and the function that runs it."""

    id: str
    title: str
    run: Callable[[], CheckResult]
    timeout: float | None = None  # None: the runner's own


class _Slot:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: CheckResult | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0


def _run(check: Check, slot: _Slot) -> None:
    began = time.monotonic()
    try:
        slot.result = check.run()
    except Exception as exc:  # whatever it was: reported, never raised through
        slot.error = exc
    finally:
        slot.seconds = time.monotonic() - began
        slot.done.set()


def _finished(check: Check, slot: _Slot, timeout: float) -> CheckResult:
    if not slot.done.is_set():
        return critical(
            check.id,
            check.title,
            f"응답 없음: {timeout:.0f}초 안에 끝나지 않았습니다.",
            "점검 대상이 멈췄거나 응답하지 않습니다. 해당 구성요소의 프로세스와 로그를 확인하세요.",
            timeout_seconds=timeout,
        )
    if slot.error is not None or slot.result is None:
        error = slot.error
        what = f"{type(error).__name__}: {error}" if error is not None else "결과 없음"
        return replace(
            critical(
                check.id,
                check.title,
                f"점검 중 오류: {what}"[:400],
                "점검 대상에 접근할 수 있는지, 권한과 설정을 확인하세요.",
            ),
            seconds=round(slot.seconds, 3),
        )
    result = slot.result
    if result.id != check.id:  # a check reports under its own id, whatever it built
        result = replace(result, id=check.id, title=check.title)
    return replace(result, seconds=round(slot.seconds, 3))


def run_checks(
    checks: Sequence[Check], *, timeout: float, target: str = "", now: datetime | None = None
) -> InspectionReport:
    """Runs `checks` concurrently, each given its own timeout or `timeout` seconds;
    returns the report with the results in the order of `checks`."""
    started_at = now or datetime.now(UTC)
    began = time.monotonic()
    slots = [_Slot() for _ in checks]
    for check, slot in zip(checks, slots, strict=True):
        threading.Thread(
            target=_run, args=(check, slot), name=f"inspect-{check.id}", daemon=True
        ).start()
    limits = [check.timeout or timeout for check in checks]
    for slot, limit in zip(slots, limits, strict=True):
        slot.done.wait(max(0.0, began + limit - time.monotonic()))
    results = tuple(
        _finished(check, slot, limit)
        for check, slot, limit in zip(checks, slots, limits, strict=True)
    )
    return InspectionReport(
        target=target,
        started_at=started_at,
        seconds=time.monotonic() - began,
        results=results,
    )
