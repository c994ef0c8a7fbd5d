"""Loading the synthetic registry: offices, households, buildings and accounts, in chunks.

Rows go in with Core ``executemany``, one transaction per chunk, so the same code loads
SQLite and PostgreSQL; a registry that already has data is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from minwon.adapters import tables as t
from minwon.adapters.probe_fixtures import probe_rows
from minwon.demo import jeonju
from minwon.demo.accounts import accounts
from minwon.demo.buildings import buildings
from minwon.demo.households import CHUNK_SIZE, GeneratorState, HouseholdGenerator, Row
from minwon.registry.vault import RrnVault


class DemoDataError(RuntimeError):
    """Raised when demo data cannot be loaded (for example into a registry that has data)."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``generate_registry`` loaded: row counts per table, time taken, demo logins."""

    counts: dict[str, int]
    elapsed_seconds: float
    citizen_usernames: tuple[str, ...]
    clerk_usernames: tuple[str, ...]
    kiosk_ids: tuple[str, ...]

    @property
    def usernames(self) -> tuple[str, ...]:
        return self.citizen_usernames + self.clerk_usernames


def generate_registry(
    engine: Engine,
    *,
    residents: int,
    seed: int,
    vault: RrnVault,
    progress: Callable[[int], None] | None = None,
    today: date,
) -> DemoSummary:
    """Fills an empty schema with ``residents`` synthetic residents of 전주시 for ``seed``."""
    if residents < 1:
        raise DemoDataError("residents must be at least 1")
    _require_empty(engine)
    started = time.perf_counter()
    gen = HouseholdGenerator(seed=seed, vault=vault, today=today)
    _insert(engine, {"offices": _office_rows()}, gen.state)
    done = 0
    while done < residents:
        done += gen.household(min(residents - done, gen.household_size()))
        if len(gen.state.buffers.get("residents", ())) >= CHUNK_SIZE:
            _insert(engine, gen.drain(), gen.state)
            if progress:
                progress(done)
    _insert(engine, gen.drain(), gen.state)
    for chunk in buildings(gen, max(1, residents // 8)):
        _insert(engine, {"buildings": chunk}, gen.state)
    citizens, clerks, kiosks = accounts(gen)
    _insert(engine, gen.drain(), gen.state)
    if progress:
        progress(done)
    return DemoSummary(
        counts=dict(gen.state.counts),
        elapsed_seconds=time.perf_counter() - started,
        citizen_usernames=citizens,
        clerk_usernames=clerks,
        kiosk_ids=kiosks,
    )


_CHECKED = (
    t.residents,
    t.offices,
    t.households,
    t.buildings,
    t.citizen_accounts,
    t.clerks,
    t.kiosks,
)
# Parents before children, so PostgreSQL's foreign keys hold inside each transaction.
_ORDER = (
    t.offices,
    t.residents,
    t.households,
    t.household_members,
    t.address_history,
    t.seal_registrations,
    t.tax_records,
    t.buildings,
    t.citizen_accounts,
    t.clerks,
    t.kiosks,
)


def _require_empty(engine: Engine) -> None:
    """Raises unless the registry is empty, the release probe's own rows aside (``minwon
    probe setup`` may come first)."""
    with engine.connect() as conn:
        for table in _CHECKED:
            query = select(table).limit(1)
            probe = probe_rows(table)
            if probe is not None:
                query = query.where(~probe)
            if conn.execute(query).first() is not None:
                raise DemoDataError(
                    f"the registry is not empty ({table.name} has rows): demo data loads "
                    "only into a fresh schema"
                )


def _insert(engine: Engine, batch: dict[str, list[Row]], state: GeneratorState) -> None:
    with engine.begin() as conn:
        for table in _ORDER:
            rows = batch.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
                state.counts[table.name] = state.counts.get(table.name, 0) + len(rows)


def _office_rows() -> list[Row]:
    rows: list[Row] = [
        {"code": d.code, "name": d.office_name, "head_title": d.head_title, "district": d.gu}
        for d in jeonju.DONGS
    ]
    for gu, code in jeonju.GU_OFFICE_CODES.items():
        rows.append(
            {
                "code": code,
                "name": f"전주시 {gu}청",
                "head_title": f"전주시 {gu}청장",
                "district": gu,
            }
        )
    rows.append(
        {
            "code": jeonju.CITY_HALL_CODE,
            "name": "전주시청",
            "head_title": "전주시장",
            "district": "",
        }
    )
    return rows
