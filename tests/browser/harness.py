"""Helpers for the browser tests: the served app, contexts kept on 127.0.0.1, screenshots
and axe-core checks (the fixtures that use them live in conftest.py)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.rrn_leaks import assert_no_full_number
from support.served import Served, clean_env, start

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_RESULTS = ARTIFACTS / "axe"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--lang=ko-KR",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
BLOCKING = ("serious", "critical")


def missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"in CI a missing dependency is a failure: {message}", pytrace=False)
    pytest.skip(f"{message}; in CI (CI=true) this fails instead")


def start_served(tmp: Path, *, residents: int = 500, **env: str) -> tuple[Any, Served]:
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True)
    log = tmp / "server.log"
    base_env = clean_env(data_dir)
    setup = Served(base="", data_dir=data_dir, log=log, env=base_env)
    steps = [("init",), ("demo-data", "--residents", str(residents), "--seed", "3")]
    for args in steps if residents else steps[:1]:
        done = setup.minwon(*args, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    process, base = start({**base_env, **env}, log)
    return process, Served(base=base, data_dir=data_dir, log=log, env=base_env)


@dataclass
class AxeLog:
    """Violations by impact for every page checked in the session (written at the end)."""

    pages: dict[str, dict[str, int]] = field(default_factory=dict)


class Shots:
    """Screenshots (full page) and axe-core checks for one flow, numbered by step."""

    def __init__(self, page: Any, flow: str, axe_log: AxeLog) -> None:
        self.page = page
        self.flow = flow
        self.step = 0
        self.axe_log = axe_log

    def __call__(self, name: str, *, axe: bool = True) -> Path:
        """Saves ``<flow>-<NN>-<name>.png``; runs axe-core on the page unless told not to."""
        self.step += 1
        slug = f"{self.flow}-{self.step:02d}-{name}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        html = self.page.content()
        # The whole source, hidden fields and attributes included; tokens are not numbers.
        assert_no_full_number(html, f"{slug} (page source)")
        assert_no_full_number(self.page.inner_text("body"), f"{slug} (visible text)")
        assert 'lang="ko"' in html
        if axe:
            self.axe(slug)
        return path

    def axe(self, slug: str) -> None:
        self.page.add_script_tag(path=str(AXE_JS))
        results = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        AXE_RESULTS.mkdir(parents=True, exist_ok=True)
        (AXE_RESULTS / f"{slug}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
        counts: dict[str, int] = {}
        for violation in results["violations"]:
            impact = violation.get("impact") or "unknown"
            counts[impact] = counts.get(impact, 0) + len(violation.get("nodes", []))
        self.axe_log.pages[slug] = counts
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} @ "
            + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
            for v in results["violations"]
            if v.get("impact") in BLOCKING
        ]
        assert not blocking, f"axe-core on {slug}:\n" + "\n".join(blocking)


def _only_loopback(route: Any) -> None:
    host = urlsplit(route.request.url).hostname
    if host == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def new_context(browser: Any, *, bypass_csp: bool = True) -> Any:
    """A fresh context (no cookies) that can reach nothing but 127.0.0.1.

    axe-core is injected as a script tag, which our CSP rightly blocks; the context
    bypasses CSP for that, and one test checks CSP in a context that does not.
    """
    context = browser.new_context(
        locale="ko-KR",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        bypass_csp=bypass_csp,
    )
    context.route("**/*", _only_loopback)
    context.set_default_timeout(10_000)
    return context
