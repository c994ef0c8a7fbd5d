"""When the database does not answer, the pages say so plainly before a flow starts.

Given a ``minwon serve`` whose database cannot be opened (its file is a directory), the
kiosk shows "지금은 발급할 수 없습니다" instead of its menu, and a portal sign-in gets a
readable 503 page, not a stack trace or JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.served import Served, stop

from .harness import Shots, start_served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, playwright_api: Any) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("degraded")
    not_a_file = Path(tmp / "db-is-a-directory")
    not_a_file.mkdir()
    process, server = start_served(
        tmp,
        residents=0,
        MINWON_DATABASE_URL=f"sqlite:///{not_a_file}",
        MINWON_DB_RETRY_SECONDS="0.5",
    )
    try:
        yield server
    finally:
        stop(process)


def test_a_kiosk_says_it_cannot_issue_before_the_flow_starts(
    page: Any, broken: Served, shots: Callable[[str], Shots]
) -> None:
    shot = shots("degraded")
    response = page.goto(f"{broken.base}/kiosk")
    assert response.status == 503
    assert page.get_by_role("heading", name="지금은 발급할 수 없습니다").is_visible()
    assert page.get_by_role("link", name="다시 시도").is_visible()
    shot("kiosk")

    page.goto(f"{broken.base}/portal/login")
    page.get_by_label("아이디").fill("citizen1")
    page.get_by_label("비밀번호").fill("minwon-demo")
    page.get_by_role("button", name="로그인", exact=True).click()
    assert page.get_by_role("heading", name="지금은 서비스를 이용할 수 없습니다").is_visible()
    assert "database.unavailable" in page.locator(".facts").inner_text()
    shot("portal-login")
