"""Verification with the document view: what the page costs, in process (no server, no wrk).

    .venv/bin/python -m bench.verify_view --requests 30

Issues ``--requests`` 등본 on a fresh SQLite registry, then times through the real app
(TestClient): the summary page alone (second factor on, none given: the old page); the
typed number's page on first sight (its items, and the issued PDF's page count); each
page image's first request (pdftoppm draws it); both again (from the in-process cache);
and the API's answer with the document, first and again. Prints median and p95 in ms per
request and writes bench/results/verify_view.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.common import RESULTS


def _timed(call: Callable[[str], int], args: list[str]) -> list[float]:
    times = []
    for arg in args:
        started = time.perf_counter()
        status = call(arg)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"a request answered {status}")
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def measure(requests: int) -> dict[str, dict[str, float]]:
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from starlette.testclient import TestClient

    from minwon.adapters.migrate import upgrade
    from minwon.bootstrap import bootstrap
    from minwon.config import Settings
    from minwon.demo import DEMO_PASSWORD, generate_registry
    from minwon.rendering.keys import init_keys
    from minwon.web.app import create_app
    from minwon.web.verification import PAGE_IMAGES

    folder = Path(tempfile.mkdtemp(prefix="minwon-verify-view-", dir="/var/tmp"))
    try:
        init_keys(folder / "keys")
        settings = Settings.from_env(data_dir=folder, verify_rate_per_minute=100_000)
        c = bootstrap(settings)
        upgrade(c.engine)
        generate_registry(c.engine, residents=400, seed=1, vault=c.vault, today=date(2026, 12, 1))
        summary_only = bootstrap(settings.with_changes(verify_second_factor="birth_date"))
        with TestClient(create_app(c)) as web, TestClient(create_app(summary_only)) as plain:
            login = {"username": "citizen1", "password": DEMO_PASSWORD}
            token = web.post("/api/v1/auth/citizen", json=login).json()["token"]
            numbers = []
            for n in range(requests):
                issued = web.post(
                    "/api/v1/issuances",
                    json={"document_type": "deungbon"},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"bv-{n:08d}"},
                )
                numbers.append(issued.json()["number"])
            plain.get(f"/verify?number={numbers[0]}")  # warm the templates

            def summary_page(number: str) -> int:
                return int(plain.get(f"/verify?number={number}").status_code)

            def full_page(number: str) -> int:
                return int(web.get(f"/verify?number={number}").status_code)

            def image(url: str) -> int:
                return int(web.get(url).status_code)

            def api_summary(number: str) -> int:
                return int(plain.get(f"/api/v1/verify/{number}").status_code)

            def api(number: str) -> int:
                return int(web.get(f"/api/v1/verify/{number}").status_code)

            results = {"summary page (old view)": _timed(summary_page, numbers)}
            results["page, first sight (items, page count)"] = _timed(full_page, numbers)
            pages = [web.get(f"/verify?number={n}").text for n in numbers]
            urls = [
                p.split('<img src="', 1)[1].split('"', 1)[0].replace("&amp;", "&") for p in pages
            ]
            results["PNG, first request (pdftoppm)"] = _timed(image, urls)
            results["page again"] = _timed(full_page, numbers)
            results["PNG again (cached)"] = _timed(image, urls)
            PAGE_IMAGES.clear()
            results["API JSON, summary only (old answer)"] = _timed(api_summary, numbers)
            results["API JSON, first sight (document)"] = _timed(api, numbers)
            results["API JSON again"] = _timed(api, numbers)
        c.close()
        summary_only.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {name: _summary(times) for name, times in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    figures = measure(args.requests)
    width = max(len(name) for name in figures)
    print(f"{'':{width}}  median ms    p95 ms   ({args.requests} requests each)")
    for name, figure in figures.items():
        print(f"{name:{width}}  {figure['median_ms']:9.1f}  {figure['p95_ms']:8.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "verify_view.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
