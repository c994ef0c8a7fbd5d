"""Past addresses: the 등본 of a household head and the head's own 초본 agree, window and all.

An address belongs to "최근 5년" when the time lived there overlaps the last five years,
not only when it was moved into within them: a head who moved to the current address in
2023 after nine years elsewhere has that earlier address in both documents.
"""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from minwon.adapters import tables as t
from minwon.catalog.loader import default_catalog
from minwon.catalog.model import Channel
from minwon.clock import KST
from minwon.issuance.commands import IssueDocument
from minwon.issuance.model import Permit
from minwon.issuance.services import issue_document
from minwon.issuance.snapshot import Dossier, SnapshotInput, build_snapshot
from minwon.registry.model import AddressEntry, Household, HouseholdMember, Office, Resident
from support.binaries import require
from support.world import World

OLD = "전라북도 익산시 인북로 32, 3층"
EARLIER = "전라북도 전주시 덕진구 기린대로 418, 102동 803호"
HERE = "전북특별자치도 전주시 완산구 효자로 225, 101동 1203호"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _head_with_history(world: World, moved_here: date, moved_earlier: date) -> tuple[str, str]:
    """Gives citizen1's household head three addresses: OLD twelve years ago, EARLIER on
    ``moved_earlier``, the household's own on ``moved_here``. Returns (head id, address)."""
    head_id = world.citizen("citizen1").resident_id
    assert head_id is not None
    today = world.clock.now().astimezone(KST).date()
    with world.container.engine.begin() as conn:
        household = conn.execute(
            select(t.households).where(t.households.c.head_resident_id == head_id)
        ).one()
        conn.execute(delete(t.address_history).where(t.address_history.c.resident_id == head_id))
        rows = [
            (OLD, _years_before(today, 12), "전입"),
            (EARLIER, moved_earlier, "전입"),
            (household.address, moved_here, "전입"),
        ]
        for seq, (address, day, reason) in enumerate(rows, start=1):
            conn.execute(
                insert(t.address_history).values(
                    resident_id=head_id,
                    seq=seq,
                    address=address,
                    moved_in_on=day,
                    reason=reason,
                    head_name="세대주",
                    head_relation="본인",
                )
            )
    return head_id, household.address


def _issue(world: World, code: str, choice: str, key: str) -> dict[str, Any]:
    outcome = issue_document(
        world.container.issuance,
        principal=world.citizen("citizen1"),
        cmd=IssueDocument(
            idempotency_key=key, document_type=code, items={"past_addresses": choice}
        ),
    )
    return outcome.record.snapshot_data() | {"_record": outcome.record}


def _lines(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["address"], r["moved_in_on"], r["reason"]) for r in rows]


@pytest.mark.parametrize("choice", ["recent5", "all"])
def test_deungbon_past_addresses_are_the_heads_chobon_without_the_current_one(
    world: World, choice: str, tmp_path: Path
) -> None:
    today = world.clock.now().astimezone(KST).date()
    # Moved into EARLIER nine years ago, left it (for here) three years ago.
    _, current = _head_with_history(
        world, moved_here=_years_before(today, 3), moved_earlier=_years_before(today, 9)
    )
    deungbon = _issue(world, "deungbon", choice, f"k-past-d-{choice}")
    chobon = _issue(world, "chobon", choice, f"k-past-c-{choice}")
    past, addresses = _lines(deungbon["past_addresses"]), _lines(chobon["addresses"])
    assert addresses[-1][0] == current
    assert past == addresses[:-1]
    expected = [OLD, EARLIER] if choice == "all" else [EARLIER]
    assert [a for a, _, _ in past] == expected
    # And the paper says so: the 등본's past-address table is not "해당 없음".
    pdf = world.container.renderer.pdf_for(deungbon["_record"])
    (tmp_path / "d.pdf").write_bytes(pdf)
    text = subprocess.run(
        [require("pdftotext"), "-layout", str(tmp_path / "d.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "해당 없음" not in text
    assert "기린대로 418" in text


# -- the window's first day, on the pure snapshot -------------------------------------------

ISSUED = datetime(2026, 11, 25, 13, 45, tzinfo=KST)
WINDOW_START = date(2021, 11, 25)  # five years before the day of issue


def _snapshot(code: str, left_earlier_on: date, choice: str = "recent5") -> dict[str, Any]:
    """The snapshot of ``code`` for a head who lived at OLD, then EARLIER (from 2012), then
    here from ``left_earlier_on``, issued on ISSUED with past addresses ``choice``."""
    document = default_catalog().get(code)
    assert document is not None
    history = tuple(
        AddressEntry("r1", seq, address, day, "전입", "김민준", "본인")
        for seq, (address, day) in enumerate(
            [(OLD, date(2008, 5, 1)), (EARLIER, date(2012, 3, 2)), (HERE, left_earlier_on)],
            start=1,
        )
    )
    items = {i.code: i.default for i in document.items} | {"past_addresses": choice}
    head = Resident("r1", "8503141234567", "김민준", date(1985, 3, 14), "M", "h1")
    household = Household("h1", "r1", HERE, "4511151000", left_earlier_on, "전입")
    member = HouseholdMember("h1", "r1", "본인", left_earlier_on, "전입")
    return build_snapshot(
        SnapshotInput(
            document=document,
            permit=Permit("self", items, True, False, "주민등록법 제29조"),
            dossier=Dossier(
                subject=head,
                household=household,
                members=((member, head),),
                addresses=history,
                head_addresses=history,
            ),
            number="4821093756102394",
            issued_at=ISSUED,
            channel=Channel.ONLINE,
            office=Office("4511000000", "전주시청", "전주시장", ""),
            fee=0,
            purpose=None,
            verify_url="http://127.0.0.1:8000/verify",
        )
    )


@pytest.mark.parametrize(
    ("left_on", "shown"),
    [
        (WINDOW_START, True),  # left on the window's first day: lived there inside it
        (WINDOW_START - timedelta(days=1), False),  # left the day before: outside
        (WINDOW_START + timedelta(days=1), True),
    ],
)
def test_an_address_left_on_the_first_day_of_the_window_is_in_it(
    left_on: date, shown: bool
) -> None:
    deungbon = _snapshot("deungbon", left_on)
    chobon = _snapshot("chobon", left_on)
    expected = [EARLIER] if shown else []
    assert [a["address"] for a in deungbon["past_addresses"]] == expected
    assert [a["address"] for a in chobon["addresses"]] == [*expected, HERE]
    everything = _snapshot("deungbon", left_on, choice="all")
    assert [a["address"] for a in everything["past_addresses"]] == [OLD, EARLIER]
