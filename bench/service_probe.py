"""One in-process measure of the issuance and verification use cases, as one JSON line.

Standalone on purpose: ``bench.paired`` runs this very file with another checkout's
interpreter, so it uses only what every commit offers (bootstrap, the settings, the two
use cases) and nothing from ``bench``. No HTTP: what a change to the services, the stores
or the unit of work costs, without the web server's noise around it. Since issue 9 an
issuance makes and stores its signed PDF (issuance/documents.py), so against a commit
before that the issuance figure is about 5x by design.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any


def measure(issuances: int) -> dict[str, float]:
    """Returns ms per issuance (its PDF made and stored, where the checkout does that) and
    per verification on a fresh SQLite registry."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from minwon.adapters.migrate import upgrade
    from minwon.bootstrap import bootstrap
    from minwon.config import Settings
    from minwon.identity.model import Principal, PrincipalKind
    from minwon.issuance.commands import IssueDocument
    from minwon.issuance.services import issue_document
    from minwon.issuance.verification import verify_number
    from minwon.rendering.keys import init_keys

    try:
        demo = importlib.import_module("minwon.demo")
    except ImportError:  # commits before the demo data moved out of registry/
        demo = importlib.import_module("minwon.registry.demo_data")
    generate: Any = demo.generate_registry

    folder = Path(tempfile.mkdtemp(prefix="minwon-probe-", dir="/var/tmp"))
    try:
        init_keys(folder / "keys")
        c = bootstrap(Settings.from_env(data_dir=folder))
        upgrade(c.engine)
        generate(c.engine, residents=2_000, seed=1, vault=c.vault, today=date(2026, 12, 1))
        with c.uows(readonly=True) as uow:
            account = uow.identity.citizen("citizen1")
        assert account is not None
        who = Principal(PrincipalKind.CITIZEN, account.id, resident_id=account.resident_id)
        # A serving process beats its row a few times a second (since issue 11): that
        # write competes with issuance for SQLite's lock, so it runs here as it would.
        beating = getattr(c, "heartbeat", lambda: None)()
        if beating is not None:
            beating.start()

        def issue(tag: str) -> str:
            key = f"{tag}-{uuid.uuid4().hex}"
            cmd = IssueDocument(idempotency_key=key, document_type="deungbon")
            return issue_document(c.issuance, principal=who, cmd=cmd).record.number

        numbers = [issue("warm") for _ in range(20)]
        started = time.perf_counter()
        numbers += [issue("k") for _ in range(issuances)]
        issued = time.perf_counter()
        lookups = numbers * 5
        for number in lookups:
            verify_number(c.issuance, number_text=number)
        verified = time.perf_counter()
        if beating is not None:
            beating.stop()
        c.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "issue_ms": (issued - started) / issuances * 1000,
        "verify_ms": (verified - issued) / len(lookups) * 1000,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))
