"""Real Chromium (Debian's) driven by Playwright against a real ``minwon serve``.

Chromium is launched from /usr/bin with flags that keep it off the network, and every
request that is not for 127.0.0.1 is aborted. Each page a test visits is saved as a
full-page screenshot under ``test-artifacts/screenshots/`` and checked with axe-core (from
npm, ``node_modules/axe-core``); its results go to ``test-artifacts/axe/<page>.json``.
Missing Chromium, Playwright or axe-core skips locally and fails in CI (CI=true).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings
from support.binaries import find, require_binaries
from support.served import Served, stop

from .harness import (
    AXE_JS,
    AXE_RESULTS,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    AxeLog,
    Shots,
    missing,
    new_context,
    start_served,
)


@pytest.fixture(scope="package")
def playwright_api() -> Iterator[Any]:
    require_binaries("chromium")
    if not AXE_JS.is_file():
        missing(f"axe-core is not installed ({AXE_JS}); run `make browser-deps` (npm ci)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is missing; run `make setup`")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_api: Any) -> Iterator[Any]:
    # headless=False only stops Playwright adding its own --headless: --headless=new is ours.
    # Playwright gives every launch a fresh temporary user-data-dir.
    chromium = playwright_api.chromium.launch(
        executable_path=find("chromium") or "/usr/bin/chromium",
        headless=False,
        args=CHROMIUM_FLAGS,
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory, playwright_api: Any) -> Iterator[Served]:
    # The kiosk flows touch the simulated sensor, which runs only when asked for.
    process, server = start_served(tmp_path_factory.mktemp("browser"), MINWON_DEMO_FINGERPRINT="1")
    try:
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="package")
def registry(served: Served) -> Iterator[Container]:
    """A container on the served data folder, to read demo residents and sign QR tokens."""
    settings = Settings.from_env(
        data_dir=served.data_dir,
        database_url=f"sqlite:///{served.data_dir / 'minwon.sqlite3'}",
        keys_dir=served.data_dir / "keys",
    )
    container = bootstrap(settings)
    try:
        yield container
    finally:
        container.close()


@pytest.fixture(scope="package")
def axe_log() -> Iterator[AxeLog]:
    log = AxeLog()
    yield log
    if log.pages:
        AXE_RESULTS.mkdir(parents=True, exist_ok=True)
        (AXE_RESULTS / "summary.json").write_text(
            json.dumps(log.pages, ensure_ascii=False, indent=2, sort_keys=True)
        )


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = new_context(browser)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = context.new_page()
    yield page
    if request.node.stash.get(_FAILED, False):  # what the browser showed when it failed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)


@pytest.fixture
def shots(page: Any, axe_log: AxeLog) -> Callable[[str], Shots]:
    """``shot = shots("portal")`` then ``shot("login")`` → portal-01-login.png (+ axe)."""
    return lambda flow: Shots(page, flow, axe_log)
