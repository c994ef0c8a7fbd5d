"""What storing every signed PDF costs: bytes per document and per million, and time.

Issues ``--per-type`` documents of every catalog type at the counter (different residents,
households, seal holders and buildings of the demo registry), through the real use case,
so each PDF is rendered, signed and stored as in service; then reads the stored sizes and
what the table takes on disk (SQLite's dbstat, or PostgreSQL's pg_total_relation_size with
its TOAST compression).

    .venv/bin/python -m bench.document_sizes --per-type 50
    .venv/bin/python -m bench.document_sizes --per-type 50 --postgres   # as root
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import structlog
from sqlalchemy import Connection, func, select, text

from minwon.adapters import tables as t
from minwon.adapters.migrate import upgrade
from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings
from minwon.demo import generate_registry
from minwon.errors import MinwonError
from minwon.identity.model import Principal
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.services import issue_document
from minwon.operations.local_postgres import LocalPostgres
from minwon.rendering.keys import init_keys


def _clerk(c: Container) -> Principal:
    with c.uows(readonly=True) as uow:
        account = uow.identity.clerk("supervisor")
    assert account is not None
    return account.as_clerk()


def _commands(c: Container, per_type: int) -> Iterator[IssueDocument]:
    """Counter requests of every type, each for another person (or building)."""
    with c.engine.connect() as conn:
        adults = conn.execute(
            select(t.residents.c.id)
            .where(t.residents.c.birth_date <= date(2005, 1, 1))
            .order_by(t.residents.c.id)
        ).scalars()
        adult_ids = list(adults)
        holders = list(
            conn.execute(
                select(t.seal_registrations.c.resident_id).order_by(
                    t.seal_registrations.c.resident_id
                )
            ).scalars()
        )
        buildings = list(
            conn.execute(
                select(t.buildings.c.register_number).order_by(t.buildings.c.register_number)
            ).scalars()
        )
    with c.uows(readonly=True) as uow:
        people = {i: uow.registry.resident(i) for i in set(adult_ids[: 4 * per_type] + holders)}
    for code in (d.code for d in c.catalog.all()):
        ids = holders if code == "ingam" else adult_ids
        for n, resident_id in enumerate(ids[: 2 * per_type]):  # spares for refusals (arrears)
            person = people[resident_id]
            assert person is not None
            yield IssueDocument(
                f"size-{uuid.uuid4().hex}",
                code,
                requester=CounterRequester(person.name, person.rrn, True),
                building_number=buildings[n % len(buildings)] if code == "geonchuk" else None,
            )


def _table_bytes(conn: Connection) -> int:
    """Returns the bytes the issued_documents table takes in the database's files."""
    if conn.dialect.name == "sqlite":
        query = "SELECT SUM(pgsize) FROM dbstat WHERE name = 'issued_documents'"
    else:
        query = "SELECT pg_total_relation_size('issued_documents')"
    return int(conn.execute(text(query)).scalar_one())


def measure(per_type: int, residents: int, database_url: str | None = None) -> dict[str, object]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    folder = Path(tempfile.mkdtemp(prefix="minwon-sizes-", dir="/var/tmp"))
    try:
        init_keys(folder / "keys")
        settings = Settings.from_env(data_dir=folder)
        if database_url is not None:
            settings = settings.with_changes(database_url=database_url)
        c = bootstrap(settings)
        upgrade(c.engine)
        generate_registry(c.engine, residents=residents, seed=1, vault=c.vault, today=date.today())
        clerk = _clerk(c)
        issued: dict[str, int] = defaultdict(int)
        times: list[float] = []
        for cmd in _commands(c, per_type):
            if issued[cmd.document_type] >= per_type:
                continue
            started = time.perf_counter()
            try:
                outcome = issue_document(c.issuance, principal=clerk, cmd=cmd)
            except MinwonError:
                continue  # refused (arrears, no seal, ...): the next person
            times.append(time.perf_counter() - started)
            assert outcome.record.pdf_sha256 is not None
            issued[cmd.document_type] += 1
        with c.engine.connect() as conn:
            rows = conn.execute(
                select(t.issuances.c.document_type, func.length(t.issued_documents.c.pdf)).join(
                    t.issued_documents, t.issued_documents.c.issuance_id == t.issuances.c.id
                )
            ).all()
            on_disk = _table_bytes(conn)
        c.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    by_type: dict[str, list[int]] = defaultdict(list)
    for code, size in rows:
        by_type[code].append(int(size))
    sizes = [s for group in by_type.values() for s in group]
    mean = statistics.fmean(sizes)
    return {
        "database": "sqlite" if database_url is None else "postgresql",
        "documents": len(sizes),
        "per_type": {
            code: {"n": len(group), "mean_bytes": round(statistics.fmean(group))}
            for code, group in sorted(by_type.items())
        },
        "mean_bytes": round(mean),
        "min_bytes": min(sizes),
        "max_bytes": max(sizes),
        "gb_per_million": round(mean * 1_000_000 / 1e9, 1),
        "table_bytes_per_document": round(on_disk / len(sizes)),
        "table_gb_per_million_on_disk": round(on_disk / len(sizes) * 1_000_000 / 1e9, 1),
        "issue_ms_median": round(statistics.median(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-type", type=int, default=50)
    parser.add_argument("--residents", type=int, default=2_000)
    parser.add_argument("--postgres", action="store_true", help="a throwaway local PostgreSQL")
    args = parser.parse_args()
    if not args.postgres:
        figures = measure(args.per_type, args.residents)
    else:
        with LocalPostgres() as server:
            figures = measure(args.per_type, args.residents, server.url_string)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
