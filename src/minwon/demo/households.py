"""Synthetic households of 전주시: members, residents, address histories, seals and taxes.

Everything is drawn from one ``random.Random(seed)`` (names from Faker ``ko_KR`` pools drawn
once, seeded the same way), so a seed always yields the same people and numbers. Rows are
buffered per table; the loader drains them in chunks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from faker import Faker
from sqlalchemy import Table

from minwon.adapters import tables as t
from minwon.demo import jeonju
from minwon.demo.seals import impression
from minwon.registry.model import age_on
from minwon.registry.rrn import CHECKSUM_ABOLISHED, check_digit, gender_digit
from minwon.registry.vault import RrnVault

CHUNK_SIZE = 5_000  # rows per table and transaction
SEAL_AGE = 17  # 인감 신고 and acting as a 대리인 both start at 17
TAX_AGE = 19  # 성년 (민법 제4조): only adults carry local-tax records here
YEAR = 365.2425

Row = dict[str, Any]

# Household sizes, roughly the 2023 census shares (1인 35%, 2인 29%, 3인 19%, 4인 14%, 5인+ 3%).
_SIZES = (1, 2, 3, 4, 5)
_SIZE_WEIGHTS = (35, 29, 19, 14, 3)
_FOREIGN_NAMES = ("왕리나", "응웬란", "마리아", "리메이", "안나", "소피아", "타오", "팜투")
_SEALS = ("한글 성명 인감 (지름 15mm)", "한자 성명 인감 (지름 18mm)", "한글 성명 인감 (지름 12mm)")
_TAX_DUE = {"재산세": ((7, 31), (9, 30)), "자동차세": ((6, 30), (12, 31)), "주민세": ((8, 31),)}


@dataclass(slots=True)
class Member:
    relation: str
    age: int
    sex: str
    family_name: str
    foreign: bool = False
    cohabitant: bool = False


@dataclass(slots=True)
class GeneratorState:
    buffers: dict[str, list[Row]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rrns: set[str] = field(default_factory=set)
    multi_heads: list[str] = field(default_factory=list)
    arrears_adults: list[str] = field(default_factory=list)
    taxable_adults: list[str] = field(default_factory=list)


class HouseholdGenerator:
    """Draws households, residents, address histories, seals and taxes from one seed."""

    def __init__(self, *, seed: int, vault: RrnVault, today: date) -> None:
        self.rng = random.Random(seed)
        self.vault = vault
        self.today = today
        self.today_ord = today.toordinal()
        fake = Faker("ko_KR")
        fake.seed_instance(seed)
        self.family_names = [fake.last_name() for _ in range(3_000)]
        self.given = {
            "M": [fake.first_name_male() for _ in range(2_000)],
            "F": [fake.first_name_female() for _ in range(2_000)],
        }
        self.state = GeneratorState()

    # -- plumbing ---------------------------------------------------------------------------

    def add(self, table: Table, row: Row) -> None:
        self.state.buffers.setdefault(table.name, []).append(row)

    def drain(self) -> dict[str, list[Row]]:
        batch, self.state.buffers = self.state.buffers, {}
        return batch

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def person_name(self, family: str, sex: str) -> str:
        return family + self.rng.choice(self.given[sex])

    def date_between(self, lo: int, hi: int) -> date:
        return date.fromordinal(self.rng.randint(lo, max(lo, hi)))

    def _birth(self, age: int) -> date:
        # Somewhere in the year in which the person is ``age`` today (never in the future).
        return date.fromordinal(self.today_ord - int(age * YEAR) - self.rng.randrange(365))

    def _rrn(self, birth: date, sex: str, foreign: bool) -> str:
        front = f"{birth:%y%m%d}{gender_digit(birth, sex, foreign=foreign)}"
        r = self.rng
        while True:
            if birth >= CHECKSUM_ABOLISHED:
                rrn = f"{front}{r.randrange(1_000_000):06d}"
            else:
                body = f"{front}{r.randint(48, 56)}{r.randrange(100):02d}{r.randrange(10)}"
                rrn = f"{body}{check_digit(body)}"
            if rrn not in self.state.rrns:
                self.state.rrns.add(rrn)
                return rrn

    def _address(self, province: str, gu: str | None = None) -> str:
        r = self.rng
        gu = gu or r.choice((jeonju.WANSAN, jeonju.DEOKJIN))
        unit = (
            f"{r.randint(101, 115)}동 {r.randint(1, 25)}{r.randint(1, 6):02d}호"
            if r.random() < 0.7
            else r.choice(("1층", "2층", "3층", "지하1층"))
        )
        return jeonju.street_address(
            province, gu, r.choice(jeonju.ROADS[gu]), r.randint(1, 480), unit
        )

    # -- households ---------------------------------------------------------------------------

    def household_size(self) -> int:
        return self.rng.choices(_SIZES, _SIZE_WEIGHTS)[0]

    def _adult(self, lo: int, hi: int, family: str, relation: str = "본인") -> Member:
        return Member(relation, self.rng.randint(lo, hi), self.rng.choice("MF"), family)

    def _couple(self, lo: int, hi: int) -> list[Member]:
        r = self.rng
        head = Member("본인", r.randint(lo, hi), "M" if r.random() < 0.8 else "F", self.family())
        spouse_age = min(95, max(20, head.age + r.randint(-5, 5)))
        foreign = r.random() < 0.03
        spouse = Member("배우자", spouse_age, "F" if head.sex == "M" else "M", "", foreign)
        spouse.family_name = "" if foreign else self.family()
        return [head, spouse]

    def _children(self, parents: list[Member], n: int, relation: str = "자") -> list[Member]:
        ages = [p.age for p in parents]
        lo, hi = max(0, max(ages) - 40), min(ages) - 20
        return [
            Member(
                relation, self.rng.randint(lo, hi), self.rng.choice("MF"), parents[0].family_name
            )
            for _ in range(n)
        ]

    def _parent_of(self, head: Member) -> Member:
        sex = self.rng.choice("MF")
        age = self.rng.randint(head.age + 20, min(95, head.age + 40))
        return Member(
            "부" if sex == "M" else "모",
            age,
            sex,
            head.family_name if sex == "M" else self.family(),
        )

    def family(self) -> str:
        return self.rng.choice(self.family_names)

    def _plan(self, size: int) -> list[Member]:
        """Returns the members of a household of ``size``, the head (본인) first."""
        r, kind = self.rng, self.rng.random()
        if size == 1:
            lo, hi = r.choices(((20, 34), (35, 64), (65, 90)), (40, 35, 25))[0]
            head = self._adult(lo, hi, self.family())
            if r.random() < 0.01:
                head.foreign, head.family_name = True, ""
            return [head]
        if size == 2:
            if kind < 0.6:
                return self._couple(25, 85)
            if kind < 0.85:
                head = self._adult(30, 60, self.family())
                return [head, *self._children([head], 1)]
            if kind < 0.95:
                head = self._adult(30, 65, self.family())
                return [head, self._parent_of(head)]
            head = self._adult(20, 70, self.family())
            mate = self._adult(20, 70, self.family(), "동거인")
            mate.cohabitant = True
            return [head, mate]
        if size == 3:
            if kind < 0.75:
                couple = self._couple(25, 60)
                return couple + self._children(couple, 1)
            if kind < 0.85:
                couple = self._couple(30, 65)
                return [*couple, self._parent_of(couple[0])]
            head = self._adult(30, 60, self.family())
            return [head, *self._children([head], 2)]
        if size == 4 or kind < 0.5:
            couple = self._couple(25, 60)
            if size == 4 and kind > 0.85:
                return [*couple, *self._children(couple, 1), self._parent_of(couple[0])]
            return couple + self._children(couple, size - 2)
        if kind < 0.8:
            couple = self._couple(28, 60)
            return [*couple, *self._children(couple, 2), self._parent_of(couple[0])]
        couple = self._couple(55, 80)  # three generations: 본인, 배우자, 자, 손 ×2
        lo, hi = max(22, max(m.age for m in couple) - 40), min(m.age for m in couple) - 20
        child = Member("자", r.randint(lo, hi), r.choice("MF"), couple[0].family_name)
        return [*couple, child, *self._children([child], 2, "손")]

    def household(self, size: int) -> int:
        """Generates one household of ``size`` and returns how many residents it added."""
        r = self.rng
        members = self._plan(size)
        dong = r.choice(jeonju.DONGS)
        hh_id = self.new_id()
        address = self._address(jeonju.PROVINCE, dong.gu)
        births = [self._birth(m.age) for m in members]
        names = [
            r.choice(_FOREIGN_NAMES) if m.foreign else self.person_name(m.family_name, m.sex)
            for m in members
        ]
        ids = [self.new_id() for _ in members]
        # The household came to this address within the last 15 years, once its adults were 20.
        adults = [
            b for b, m in zip(births, members, strict=True) if m.relation in ("본인", "배우자")
        ]
        earliest = max(max(b.toordinal() + int(20 * YEAR) for b in adults), self.today_ord - 5479)
        formed_on = self.date_between(min(earliest, self.today_ord - 1), self.today_ord - 1)
        kids_before = any(
            b < formed_on for b, m in zip(births, members, strict=True) if m.relation == "자"
        )
        if (
            len(members) > 1
            and members[1].relation == "배우자"
            and not kids_before
            and r.random() < 0.35
        ):
            reason = "혼인"
        elif len(members) == 1 and members[0].age < 35 and r.random() < 0.5:
            reason = "분가"
        else:
            reason = "전입"
        self.add(
            t.households,
            {
                "id": hh_id,
                "head_resident_id": ids[0],
                "address": address,
                "dong_code": dong.code,
                "formed_on": formed_on,
                "formation_reason": reason,
            },
        )
        if len(members) > 1 and len(self.state.multi_heads) < 10:
            self.state.multi_heads.append(ids[0])
        for member, rid, name, birth in zip(members, ids, names, births, strict=True):
            joined, change = self._joined(member, birth, formed_on, reason)
            rrn = self._rrn(birth, member.sex, member.foreign)
            self.add(
                t.residents,
                {
                    "id": rid,
                    "rrn_digest": self.vault.digest(rrn),
                    "rrn_cipher": self.vault.encrypt(rrn),
                    "name": name,
                    "birth_date": birth,
                    "sex": member.sex,
                    "foreign": member.foreign,
                    "alive": True,
                    "household_id": hh_id,
                },
            )
            self.add(
                t.household_members,
                {
                    "household_id": hh_id,
                    "resident_id": rid,
                    "relation_to_head": member.relation,
                    "joined_on": joined,
                    "change_reason": change,
                    "cohabitant": member.cohabitant,
                },
            )
            self._history(rid, name, member, birth, joined, change, address, names[0])
            self._seal_and_taxes(rid, name, birth, dong.code)
        return len(members)

    def _joined(self, m: Member, birth: date, formed_on: date, reason: str) -> tuple[date, str]:
        if m.relation == "본인":
            return formed_on, reason
        if m.relation in ("자", "손") and birth >= formed_on:
            return birth, "출생"
        if m.relation in ("부", "모", "동거인"):
            return self.date_between(formed_on.toordinal(), self.today_ord - 1), "전입"
        return formed_on, "혼인" if reason == "혼인" else "전입"

    def _history(
        self,
        rid: str,
        name: str,
        m: Member,
        birth: date,
        joined: date,
        change: str,
        address: str,
        head_name: str,
    ) -> None:
        """Writes 1-4 address entries, oldest first; the last is the current address."""
        r = self.rng
        entries: list[tuple[str, date, str, str, str]] = []
        lo, hi = birth.toordinal(), joined.toordinal() - 1
        n_past = 0 if change == "출생" else r.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]
        n_past = min(n_past, max(0, hi - lo))
        if n_past:
            days = sorted(r.sample(range(lo + 1, hi + 1), n_past))
            if r.random() < 0.4:
                days[0] = lo  # registered at birth at that first address
            for i, day_ord in enumerate(days):
                day = date.fromordinal(day_ord)
                if day_ord == lo:
                    why = "출생"
                elif i > 0 and r.random() < 0.05:
                    why = "주소 정정"
                else:
                    why = "전입"
                if age_on(birth, day) < 20 and not m.foreign:
                    past_head, rel = self.person_name(m.family_name, "M"), "자"
                else:
                    past_head, rel = name, "본인"
                entries.append((self._address(jeonju.province_on(day)), day, why, past_head, rel))
        entries.append((address, joined, change, head_name, m.relation))
        for seq, (addr, day, why, past_head, rel) in enumerate(entries, start=1):
            self.add(
                t.address_history,
                {
                    "resident_id": rid,
                    "seq": seq,
                    "address": addr,
                    "moved_in_on": day,
                    "reason": why,
                    "head_name": past_head,
                    "head_relation": rel,
                },
            )

    def _seal_and_taxes(self, rid: str, name: str, birth: date, dong_code: str) -> None:
        r, age = self.rng, age_on(birth, self.today)
        if age >= SEAL_AGE and r.random() < 0.5:
            earliest = birth.toordinal() + int(SEAL_AGE * YEAR) + 1
            self.add(
                t.seal_registrations,
                {
                    "resident_id": rid,
                    "registered_on": self.date_between(earliest, self.today_ord),
                    "office_code": dong_code,
                    "seal_description": r.choice(_SEALS),
                    "active": True,
                    "impression_png": impression(name, rid),
                },
            )
        if age < TAX_AGE:
            return
        if len(self.state.taxable_adults) < 20:
            self.state.taxable_adults.append(rid)
        years = range(self.today.year - 3, self.today.year)
        picks = r.sample([(y, k) for y in years for k in _TAX_DUE], r.randint(1, 3))
        for year, kind in sorted(picks):
            self.tax(rid, year, kind, arrears=r.random() < 0.04)

    def tax(self, rid: str, year: int, kind: str, *, arrears: bool) -> None:
        r = self.rng
        if kind == "재산세":
            assessed = r.randint(2_000, 150_000) * 10
        elif kind == "자동차세":
            assessed = r.randint(5_000, 65_000) * 10
        else:
            assessed = r.randint(5, 11) * 1_000
        paid = assessed
        if arrears:
            paid = 0 if r.random() < 0.6 else assessed * r.randint(1, 9) // 100 * 10
            if len(self.state.arrears_adults) < 20:
                self.state.arrears_adults.append(rid)
        month, day = r.choice(_TAX_DUE[kind])
        self.add(
            t.tax_records,
            {
                "resident_id": rid,
                "tax_year": year,
                "tax_kind": kind,
                "assessed": assessed,
                "paid": paid,
                "due_on": date(year, month, day),
            },
        )
