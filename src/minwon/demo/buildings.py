"""Synthetic 건축물대장 rows for 전주시, drawn from the households' generator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from minwon.demo import jeonju
from minwon.demo.households import CHUNK_SIZE, HouseholdGenerator, Row

_USES = (
    ("단독주택", 35),
    ("공동주택", 28),
    ("제1종근린생활시설", 15),
    ("제2종근린생활시설", 12),
    ("업무시설", 5),
    ("교육연구시설", 3),
    ("노유자시설", 2),
)
_STRUCTURES = ("철근콘크리트구조", "일반철골구조", "벽돌구조", "경량철골구조", "목구조")


def buildings(gen: HouseholdGenerator, count: int) -> Iterator[list[Row]]:
    """Yields 건축물대장 rows in chunks."""
    r = gen.rng
    chunk: list[Row] = []
    for n in range(count):
        dong = r.choice(jeonju.DONGS)
        use = r.choices([u for u, _ in _USES], [w for _, w in _USES])[0]
        above = r.randint(5, 25) if use == "공동주택" else r.randint(1, 5)
        site = round(r.uniform(120, 800) * (6 if use == "공동주택" else 1), 2)
        road = r.choice(jeonju.ROADS[dong.gu])
        chunk.append(
            {
                "id": gen.new_id(),
                "register_number": f"{dong.code[:5]}-{100_000_000 + n}",
                "address": jeonju.street_address(
                    jeonju.PROVINCE, dong.gu, road, r.randint(1, 480), None
                ),
                "dong_code": dong.code,
                "owner_name": gen.person_name(gen.family(), r.choice("MF")),
                "main_use": use,
                "structure": r.choice(_STRUCTURES[:2] if above > 3 else _STRUCTURES),
                "floors_above": above,
                "floors_below": r.randint(0, 3 if above > 4 else 1),
                "floor_area_m2": round(site * r.uniform(0.5, 0.6) * above, 2),
                "site_area_m2": site,
                "approved_on": gen.date_between(date(1970, 1, 1).toordinal(), gen.today_ord),
            }
        )
        if len(chunk) >= CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
