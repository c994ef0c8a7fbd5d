"""감독 기록 in Chromium: a supervisor opens the office's refusals and look-ups from the
counter menu, with the keyboard usable and axe-core finding nothing blocking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from minwon.bootstrap import Container
from minwon.demo import DEMO_PASSWORD
from support.served import Served

from .harness import Shots

pytestmark = pytest.mark.slow


def _resident_rrn(registry: Container, username: str) -> str:
    with registry.uows(readonly=True) as uow:
        account = uow.identity.citizen(username)
        assert account is not None and account.resident_id
        person = uow.registry.resident(account.resident_id)
    assert person is not None
    return person.rrn


def test_a_supervisor_reviews_the_offices_refusals_and_lookups(
    page: Any, served: Served, registry: Container, shots: Callable[[str], Shots]
) -> None:
    shot = shots("oversight")
    clerk = served.login("clerk", "clerk")
    found = httpx.post(
        f"{served.base}/api/v1/residents/search",
        json={"purpose": "감독 화면 시연 조회", "rrn": _resident_rrn(registry, "citizen2")},
        headers=clerk,
        timeout=10,
    )
    assert found.status_code == 200
    citizen = served.login("citizen3")
    number = httpx.post(
        f"{served.base}/api/v1/issuances",
        json={"document_type": "deungbon"},
        headers={**citizen, "Idempotency-Key": "browser-oversight-1"},
        timeout=30,
    ).json()["number"]
    denied = httpx.get(f"{served.base}/api/v1/issuances/{number}", headers=clerk, timeout=10)
    assert denied.status_code == 404

    page.goto(f"{served.base}/counter/login")
    page.get_by_label("아이디").fill("supervisor")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()
    page.wait_for_url(f"{served.base}/counter")
    page.get_by_role("link", name="감독 기록").click()
    page.wait_for_url("**/counter/oversight")
    assert page.get_by_role("heading", level=1).inner_text().startswith("감독 기록")
    table = page.get_by_role("table")
    assert "감독 화면 시연 조회" in table.inner_text()
    assert "열람·처리 거부" in table.inner_text()
    shot("office-day")
    # The form works from the keyboard: Enter in a field shows the chosen office's day.
    page.get_by_label("기관 코드").press("Enter")
    page.wait_for_url("**/counter/oversight?day=*&office=*")
    assert "감독 화면 시연 조회" in page.get_by_role("table").inner_text()
