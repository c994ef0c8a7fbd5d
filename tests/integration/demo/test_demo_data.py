"""The synthetic 전주시 registry: consistent, deterministic, and never loaded over real data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from minwon.adapters import tables as t
from minwon.demo import (
    DEMO_KIOSK_KEYS,
    DEMO_PASSWORD,
    DemoDataError,
    generate_registry,
    jeonju,
)
from minwon.identity.passwords import verify_password
from minwon.registry import rrn
from minwon.registry.model import age_on
from minwon.registry.vault import RrnVault

TODAY = date(2025, 6, 1)


def _vault() -> RrnVault:
    return RrnVault(b"d" * 32, b"pepper-for-tests")


def _engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine)
    return engine


def _load(path: Path, *, seed: int, residents: int = 2_000) -> Engine:
    engine = _engine(path)
    generate_registry(engine, residents=residents, seed=seed, vault=_vault(), today=TODAY)
    return engine


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _load(tmp_path_factory.mktemp("demo") / "registry.db", seed=7)


def test_every_number_is_valid_unique_and_matches_the_stored_person(registry: Engine) -> None:
    vault = _vault()
    with registry.connect() as conn:
        rows = conn.execute(select(t.residents)).mappings().all()
    assert len(rows) == 2_000
    numbers = [vault.decrypt(r["rrn_cipher"]) for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert len({r["rrn_digest"] for r in rows}) == len(rows)
    for row, number in zip(rows, numbers, strict=True):
        facts = rrn.parse(number)
        assert vault.digest(number) == row["rrn_digest"]
        assert facts.birth_date == row["birth_date"]
        assert facts.sex == row["sex"]
        assert facts.foreign == row["foreign"]
        assert 0 <= age_on(row["birth_date"], TODAY) <= 96
        assert 2 <= len(row["name"]) <= 3
        assert all("가" <= ch <= "힣" for ch in row["name"])
        if row["birth_date"] < rrn.CHECKSUM_ABOLISHED:
            assert facts.has_check_digit
            assert rrn.check_digit(number[:12]) == int(number[12])


def test_every_household_has_one_head_and_children_younger_than_the_head(
    registry: Engine,
) -> None:
    with registry.connect() as conn:
        households = conn.execute(select(t.households)).mappings().all()
        members = (
            conn.execute(
                select(t.household_members, t.residents.c.birth_date).join(
                    t.residents, t.residents.c.id == t.household_members.c.resident_id
                )
            )
            .mappings()
            .all()
        )
    dong_codes = {d.code for d in jeonju.DONGS}
    by_household = defaultdict(list)
    for m in members:
        by_household[m["household_id"]].append(m)
    sizes: defaultdict[int, int] = defaultdict(int)
    for hh in households:
        group = by_household[hh["id"]]
        heads = [m for m in group if m["relation_to_head"] == "본인"]
        assert len(heads) == 1
        assert heads[0]["resident_id"] == hh["head_resident_id"]
        assert hh["dong_code"] in dong_codes
        assert hh["address"].startswith("전북특별자치도 전주시 ")
        assert 1 <= len(group) <= 5
        sizes[len(group)] += 1
        for m in group:
            if m["relation_to_head"] in ("자", "손"):
                assert m["birth_date"] > heads[0]["birth_date"]
            if m["relation_to_head"] in ("부", "모"):
                assert m["birth_date"] < heads[0]["birth_date"]
            assert m["cohabitant"] == (m["relation_to_head"] == "동거인")
    assert sizes[1] > sizes[4] > sizes[5] > 0  # many singles, few large families


def test_address_history_is_contiguous_and_ends_at_the_household_address(
    registry: Engine,
) -> None:
    with registry.connect() as conn:
        current = dict(
            conn.execute(
                select(t.residents.c.id, t.households.c.address).join(
                    t.households, t.households.c.id == t.residents.c.household_id
                )
            ).all()
        )
        entries = (
            conn.execute(
                select(t.address_history).order_by(
                    t.address_history.c.resident_id, t.address_history.c.seq
                )
            )
            .mappings()
            .all()
        )
    history = defaultdict(list)
    for e in entries:
        history[e["resident_id"]].append(e)
    assert history.keys() == current.keys()
    for resident_id, lines in history.items():
        assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
        assert 1 <= len(lines) <= 4
        days = [e["moved_in_on"] for e in lines]
        assert days == sorted(days) and len(set(days)) == len(days)
        assert lines[-1]["address"] == current[resident_id]
        for e in lines[:-1]:
            assert e["address"].startswith(jeonju.province_on(e["moved_in_on"]) + " ")
    old = [e for e in entries if e["moved_in_on"] < jeonju.PROVINCE_RENAMED_ON]
    assert any(e["address"].startswith("전라북도 ") for e in old)


def test_some_but_not_most_adults_have_tax_arrears(registry: Engine) -> None:
    with registry.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(t.tax_records))
        arrears = conn.scalar(
            select(func.count())
            .select_from(t.tax_records)
            .where(t.tax_records.c.paid < t.tax_records.c.assessed)
        )
        seals = conn.scalar(select(func.count()).select_from(t.seal_registrations))
    assert total and seals and arrears is not None
    assert 0 < arrears < total * 0.1


def test_demo_accounts_exist_and_accept_the_demo_password(registry: Engine) -> None:
    with registry.connect() as conn:
        citizens = {r["username"]: r for r in conn.execute(select(t.citizen_accounts)).mappings()}
        clerks = {r["username"]: r for r in conn.execute(select(t.clerks)).mappings()}
        kiosks = {r["device_id"]: r for r in conn.execute(select(t.kiosks)).mappings()}
        heads = {
            r["head_resident_id"]: r["id"] for r in conn.execute(select(t.households)).mappings()
        }
        sizes: dict[str, int] = dict(
            conn.execute(
                select(t.household_members.c.household_id, func.count()).group_by(
                    t.household_members.c.household_id
                )
            ).all()
        )
        debtor = citizens["citizen-arrears"]["resident_id"]
        debts = conn.scalar(
            select(func.count())
            .select_from(t.tax_records)
            .where(t.tax_records.c.resident_id == debtor)
            .where(t.tax_records.c.paid < t.tax_records.c.assessed)
        )
    assert set(citizens) == {f"citizen{i}" for i in range(1, 6)} | {"citizen-arrears"}
    family_households = {heads[citizens[f"citizen{i}"]["resident_id"]] for i in range(1, 6)}
    assert len(family_households) == 5
    assert all(sizes[h] >= 2 for h in family_households)
    assert debts and debts > 0
    assert clerks["clerk"]["role"] == "clerk"
    assert clerks["supervisor"]["role"] == "supervisor"
    assert clerks["clerk"]["office_code"] == jeonju.WANSAN_DONGS[0].code
    assert clerks["clerk-deokjin"]["office_code"] == jeonju.DEOKJIN_DONGS[0].code
    # A supervisor of the other district and a city-wide auditor, to try crossing.
    assert clerks["supervisor-deokjin"]["role"] == "supervisor"
    assert clerks["supervisor-deokjin"]["office_code"] == jeonju.DEOKJIN_DONGS[0].code
    assert clerks["auditor"]["role"] == "auditor"
    for account in [*citizens.values(), *clerks.values()]:
        assert verify_password(account["password_hash"], DEMO_PASSWORD)
    assert not verify_password(clerks["clerk"]["password_hash"], "wrong")
    assert set(kiosks) == {"kiosk-01", "kiosk-02"}
    # Each device has its own key, stored only as a hash: one kiosk's key opens no other.
    for device, row in kiosks.items():
        assert verify_password(row["key_hash"], DEMO_KIOSK_KEYS[device])
        assert DEMO_KIOSK_KEYS[device] not in row["key_hash"]
        others = [key for other, key in DEMO_KIOSK_KEYS.items() if other != device]
        assert others and not any(verify_password(row["key_hash"], key) for key in others)


def _people(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.residents.c.id, t.residents.c.name, t.residents.c.rrn_digest).order_by(
                t.residents.c.id
            )
        ).all()
    return [(r.id, r.name, r.rrn_digest) for r in rows]


def test_the_same_seed_gives_the_same_registry_and_another_seed_does_not(
    tmp_path: Path,
) -> None:
    first = _people(_load(tmp_path / "a.db", seed=11, residents=300))
    again = _people(_load(tmp_path / "b.db", seed=11, residents=300))
    other = _people(_load(tmp_path / "c.db", seed=12, residents=300))
    assert first == again
    assert [name for _, name, _ in first] != [name for _, name, _ in other]
    assert [d for _, _, d in first] != [d for _, _, d in other]


def test_loading_into_a_registry_that_has_residents_is_refused(tmp_path: Path) -> None:
    engine = _load(tmp_path / "full.db", seed=3, residents=50)
    with pytest.raises(DemoDataError, match="not empty"):
        generate_registry(engine, residents=50, seed=3, vault=_vault(), today=TODAY)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.residents)) == 50


def test_progress_is_reported_up_to_the_requested_count(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate_registry(
        _engine(tmp_path / "p.db"),
        residents=12_000,
        seed=5,
        vault=_vault(),
        today=TODAY,
        progress=seen.append,
    )
    assert seen == sorted(seen) and seen[-1] == 12_000 and len(seen) >= 3
    assert summary.counts["residents"] == 12_000
    assert summary.counts["buildings"] == 1_500
