"""A deterministic synthetic 전주시 registry for demos, tests and load checks.

Everything is drawn from one ``random.Random(seed)`` (names from Faker ``ko_KR`` pools drawn
once, seeded the same way), so a seed always yields the same people, numbers, households and
accounts; only the AES-GCM ciphertexts differ between runs (random nonces), the digests do
not. Rows go in with Core ``executemany`` in chunks, one transaction per chunk, so the same
code loads SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from faker import Faker
from sqlalchemy import Engine, Table, select

from minwon.adapters import tables as t
from minwon.identity.passwords import hash_password
from minwon.registry import jeonju
from minwon.registry.model import age_on
from minwon.registry.rrn import CHECKSUM_ABOLISHED, check_digit, gender_digit
from minwon.registry.vault import RrnVault

DEMO_PASSWORD = "minwon-demo"
DEMO_KIOSK_KEY = "demo-kiosk-key"
CHUNK_SIZE = 5_000
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


@dataclass(slots=True)
class _Member:
    relation: str
    age: int
    sex: str
    family_name: str
    foreign: bool = False
    cohabitant: bool = False


@dataclass(slots=True)
class _State:
    buffers: dict[str, list[Row]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rrns: set[str] = field(default_factory=set)
    multi_heads: list[str] = field(default_factory=list)
    arrears_adults: list[str] = field(default_factory=list)
    taxable_adults: list[str] = field(default_factory=list)


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
    gen = _Generator(seed=seed, vault=vault, today=today)
    _insert(engine, {"offices": _office_rows()}, gen.state)
    done = 0
    while done < residents:
        done += gen.household(min(residents - done, gen.household_size()))
        if len(gen.state.buffers.get("residents", ())) >= CHUNK_SIZE:
            _insert(engine, gen.drain(), gen.state)
            if progress:
                progress(done)
    _insert(engine, gen.drain(), gen.state)
    for chunk in gen.buildings(max(1, residents // 8)):
        _insert(engine, {"buildings": chunk}, gen.state)
    citizens, clerks, kiosks = gen.accounts()
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
    with engine.connect() as conn:
        for table in _CHECKED:
            if conn.execute(select(table).limit(1)).first() is not None:
                raise DemoDataError(
                    f"the registry is not empty ({table.name} has rows): demo data loads "
                    "only into a fresh schema"
                )


def _insert(engine: Engine, batch: dict[str, list[Row]], state: _State) -> None:
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


class _Generator:
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
        self.state = _State()

    # -- plumbing ---------------------------------------------------------------------------

    def _add(self, table: Table, row: Row) -> None:
        self.state.buffers.setdefault(table.name, []).append(row)

    def drain(self) -> dict[str, list[Row]]:
        batch, self.state.buffers = self.state.buffers, {}
        return batch

    def _id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _name(self, family: str, sex: str) -> str:
        return family + self.rng.choice(self.given[sex])

    def _date_between(self, lo: int, hi: int) -> date:
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

    def _adult(self, lo: int, hi: int, family: str, relation: str = "본인") -> _Member:
        return _Member(relation, self.rng.randint(lo, hi), self.rng.choice("MF"), family)

    def _couple(self, lo: int, hi: int) -> list[_Member]:
        r = self.rng
        head = _Member("본인", r.randint(lo, hi), "M" if r.random() < 0.8 else "F", self._family())
        spouse_age = min(95, max(20, head.age + r.randint(-5, 5)))
        foreign = r.random() < 0.03
        spouse = _Member("배우자", spouse_age, "F" if head.sex == "M" else "M", "", foreign)
        spouse.family_name = "" if foreign else self._family()
        return [head, spouse]

    def _children(self, parents: list[_Member], n: int, relation: str = "자") -> list[_Member]:
        ages = [p.age for p in parents]
        lo, hi = max(0, max(ages) - 40), min(ages) - 20
        return [
            _Member(
                relation, self.rng.randint(lo, hi), self.rng.choice("MF"), parents[0].family_name
            )
            for _ in range(n)
        ]

    def _parent_of(self, head: _Member) -> _Member:
        sex = self.rng.choice("MF")
        age = self.rng.randint(head.age + 20, min(95, head.age + 40))
        return _Member(
            "부" if sex == "M" else "모",
            age,
            sex,
            head.family_name if sex == "M" else self._family(),
        )

    def _family(self) -> str:
        return self.rng.choice(self.family_names)

    def _plan(self, size: int) -> list[_Member]:
        """Returns the members of a household of ``size``, the head (본인) first."""
        r, kind = self.rng, self.rng.random()
        if size == 1:
            lo, hi = r.choices(((20, 34), (35, 64), (65, 90)), (40, 35, 25))[0]
            head = self._adult(lo, hi, self._family())
            if r.random() < 0.01:
                head.foreign, head.family_name = True, ""
            return [head]
        if size == 2:
            if kind < 0.6:
                return self._couple(25, 85)
            if kind < 0.85:
                head = self._adult(30, 60, self._family())
                return [head, *self._children([head], 1)]
            if kind < 0.95:
                head = self._adult(30, 65, self._family())
                return [head, self._parent_of(head)]
            head = self._adult(20, 70, self._family())
            mate = self._adult(20, 70, self._family(), "동거인")
            mate.cohabitant = True
            return [head, mate]
        if size == 3:
            if kind < 0.75:
                couple = self._couple(25, 60)
                return couple + self._children(couple, 1)
            if kind < 0.85:
                couple = self._couple(30, 65)
                return [*couple, self._parent_of(couple[0])]
            head = self._adult(30, 60, self._family())
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
        child = _Member("자", r.randint(lo, hi), r.choice("MF"), couple[0].family_name)
        return [*couple, child, *self._children([child], 2, "손")]

    def household(self, size: int) -> int:
        """Generates one household of ``size`` and returns how many residents it added."""
        r = self.rng
        members = self._plan(size)
        dong = r.choice(jeonju.DONGS)
        hh_id = self._id()
        address = self._address(jeonju.PROVINCE, dong.gu)
        births = [self._birth(m.age) for m in members]
        names = [
            r.choice(_FOREIGN_NAMES) if m.foreign else self._name(m.family_name, m.sex)
            for m in members
        ]
        ids = [self._id() for _ in members]
        # The household came to this address within the last 15 years, once its adults were 20.
        adults = [
            b for b, m in zip(births, members, strict=True) if m.relation in ("본인", "배우자")
        ]
        earliest = max(max(b.toordinal() + int(20 * YEAR) for b in adults), self.today_ord - 5479)
        formed_on = self._date_between(min(earliest, self.today_ord - 1), self.today_ord - 1)
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
        self._add(
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
            self._add(
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
            self._add(
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
            self._seal_and_taxes(rid, birth, dong.code)
        return len(members)

    def _joined(self, m: _Member, birth: date, formed_on: date, reason: str) -> tuple[date, str]:
        if m.relation == "본인":
            return formed_on, reason
        if m.relation in ("자", "손") and birth >= formed_on:
            return birth, "출생"
        if m.relation in ("부", "모", "동거인"):
            return self._date_between(formed_on.toordinal(), self.today_ord - 1), "전입"
        return formed_on, "혼인" if reason == "혼인" else "전입"

    def _history(
        self,
        rid: str,
        name: str,
        m: _Member,
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
                    past_head, rel = self._name(m.family_name, "M"), "자"
                else:
                    past_head, rel = name, "본인"
                entries.append((self._address(jeonju.province_on(day)), day, why, past_head, rel))
        entries.append((address, joined, change, head_name, m.relation))
        for seq, (addr, day, why, past_head, rel) in enumerate(entries, start=1):
            self._add(
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

    def _seal_and_taxes(self, rid: str, birth: date, dong_code: str) -> None:
        r, age = self.rng, age_on(birth, self.today)
        if age >= SEAL_AGE and r.random() < 0.5:
            earliest = birth.toordinal() + int(SEAL_AGE * YEAR) + 1
            self._add(
                t.seal_registrations,
                {
                    "resident_id": rid,
                    "registered_on": self._date_between(earliest, self.today_ord),
                    "office_code": dong_code,
                    "seal_description": r.choice(_SEALS),
                    "active": True,
                },
            )
        if age < TAX_AGE:
            return
        if len(self.state.taxable_adults) < 20:
            self.state.taxable_adults.append(rid)
        years = range(self.today.year - 3, self.today.year)
        picks = r.sample([(y, k) for y in years for k in _TAX_DUE], r.randint(1, 3))
        for year, kind in sorted(picks):
            self._tax(rid, year, kind, arrears=r.random() < 0.04)

    def _tax(self, rid: str, year: int, kind: str, *, arrears: bool) -> None:
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
        self._add(
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

    # -- buildings and accounts ---------------------------------------------------------------

    def buildings(self, count: int) -> Iterator[list[Row]]:
        """Yields 건축물대장 rows in chunks."""
        r = self.rng
        chunk: list[Row] = []
        for n in range(count):
            dong = r.choice(jeonju.DONGS)
            use = r.choices([u for u, _ in _USES], [w for _, w in _USES])[0]
            above = r.randint(5, 25) if use == "공동주택" else r.randint(1, 5)
            site = round(r.uniform(120, 800) * (6 if use == "공동주택" else 1), 2)
            road = r.choice(jeonju.ROADS[dong.gu])
            chunk.append(
                {
                    "id": self._id(),
                    "register_number": f"{dong.code[:5]}-{100_000_000 + n}",
                    "address": jeonju.street_address(
                        jeonju.PROVINCE, dong.gu, road, r.randint(1, 480), None
                    ),
                    "dong_code": dong.code,
                    "owner_name": self._name(self._family(), r.choice("MF")),
                    "main_use": use,
                    "structure": r.choice(_STRUCTURES[:2] if above > 3 else _STRUCTURES),
                    "floors_above": above,
                    "floors_below": r.randint(0, 3 if above > 4 else 1),
                    "floor_area_m2": round(site * r.uniform(0.5, 0.6) * above, 2),
                    "site_area_m2": site,
                    "approved_on": self._date_between(date(1970, 1, 1).toordinal(), self.today_ord),
                }
            )
            if len(chunk) >= CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def accounts(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Buffers the demo citizen, clerk and kiosk accounts (hashing each secret once)."""
        password = hash_password(DEMO_PASSWORD)
        state = self.state
        citizens = list(zip((f"citizen{i}" for i in range(1, 6)), state.multi_heads, strict=False))
        linked = {rid for _, rid in citizens}
        debtor = next((rid for rid in state.arrears_adults if rid not in linked), None)
        if debtor is None:  # a registry too small to have arrears by chance gets one
            debtor = next((rid for rid in state.taxable_adults if rid not in linked), None)
            if debtor is not None:
                self._tax(debtor, self.today.year - 1, "주민세", arrears=True)
        if debtor is not None:
            citizens.append(("citizen-arrears", debtor))
        for username, rid in citizens:
            self._add(
                t.citizen_accounts,
                {"username": username, "password_hash": password, "resident_id": rid},
            )
        wansan, deokjin = jeonju.WANSAN_DONGS[0].code, jeonju.DEOKJIN_DONGS[0].code
        clerks = (
            ("clerk", "clerk", wansan),
            ("supervisor", "supervisor", wansan),
            ("clerk-deokjin", "clerk", deokjin),
        )
        for username, role, office in clerks:
            self._add(
                t.clerks,
                {
                    "username": username,
                    "password_hash": password,
                    "name": self._name(self._family(), self.rng.choice("MF")),
                    "role": role,
                    "office_code": office,
                },
            )
        key_hash = hash_password(DEMO_KIOSK_KEY)
        kiosks = (("kiosk-01", jeonju.WANSAN), ("kiosk-02", jeonju.DEOKJIN))
        for device_id, gu in kiosks:
            self._add(
                t.kiosks,
                {
                    "device_id": device_id,
                    "key_hash": key_hash,
                    "office_code": jeonju.GU_OFFICE_CODES[gu],
                    "location": f"전주시 {gu}청 민원실",
                    "active": True,
                },
            )
        return (
            tuple(u for u, _ in citizens),
            tuple(u for u, _, _ in clerks),
            tuple(d for d, _ in kiosks),
        )
