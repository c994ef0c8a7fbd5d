"""Installs the release probe's office, people and sign-in account (issuance/probes.py).

One transaction, safe to run again: rows that exist are brought back to what they should
be (the account's password included), missing ones are added, nothing else is touched.
Works on a production registry with no demo data, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, update

from minwon.adapters import tables as t
from minwon.issuance.probes import (
    ADDRESS,
    PROBE_OFFICE,
    PROBE_OTHER,
    PROBE_PEOPLE,
    PROBE_SELF,
    PROBE_USERNAME,
    ProbePerson,
)
from minwon.registry.vault import RrnVault

# The day the probe's people "moved in": fixed, so the snapshot of a probe document is the
# same on every installation and every run.
MOVED_IN = date(2000, 1, 1)


class ProbeSetupError(RuntimeError):
    """The registry holds something in the probe's place; ``code`` is stable, the message
    Korean and free of any 주민등록번호."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ProbeInstalled:
    """What ``install_probe`` left in place: the account and the people's ids."""

    username: str
    office_code: str
    resident_ids: tuple[str, ...]
    created: bool  # False when everything was there already (and was refreshed)


def _put(conn: Connection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> bool:
    """Updates the row with ``keys`` to ``values``, or inserts it; True if inserted."""
    where = and_(*(table.c[name] == value for name, value in keys.items()))
    if conn.execute(select(table).where(where)).first() is None:
        conn.execute(insert(table).values(**keys, **values))
        return True
    conn.execute(update(table).where(where).values(**values))
    return False


def _check_free(conn: Connection, vault: RrnVault) -> None:
    """Refuses when the probe's number or username belongs to someone else."""
    for person in PROBE_PEOPLE:
        holder = conn.execute(
            select(t.residents.c.id).where(t.residents.c.rrn_digest == vault.digest(person.rrn))
        ).scalar_one_or_none()
        if holder is not None and holder != person.resident_id:
            raise ProbeSetupError(
                "probe.rrn_taken",
                "시험용 주민등록번호가 이미 다른 주민에게 등록되어 있습니다. 관리자에게 알리세요.",
            )
    account = conn.execute(
        select(t.citizen_accounts.c.resident_id).where(
            t.citizen_accounts.c.username == PROBE_USERNAME
        )
    ).scalar_one_or_none()
    if account is not None and account not in {p.resident_id for p in PROBE_PEOPLE}:
        raise ProbeSetupError(
            "probe.username_taken",
            f"계정 이름 {PROBE_USERNAME}을(를) 이미 다른 주민이 쓰고 있습니다.",
        )


def _person(conn: Connection, vault: RrnVault, person: ProbePerson) -> bool:
    household = {
        "head_resident_id": person.resident_id,
        "address": ADDRESS,
        "dong_code": PROBE_OFFICE.code,
        "formed_on": MOVED_IN,
        "formation_reason": "전입",
    }
    created = _put(conn, t.households, {"id": person.household_id}, household)
    resident = {
        "rrn_digest": vault.digest(person.rrn),
        "rrn_cipher": vault.encrypt(person.rrn),
        "name": person.name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "foreign": False,
        "alive": True,
        "household_id": person.household_id,
        "probe": True,
    }
    created |= _put(conn, t.residents, {"id": person.resident_id}, resident)
    member = {
        "relation_to_head": "본인",
        "joined_on": MOVED_IN,
        "change_reason": "전입",
        "cohabitant": False,
    }
    keys = {"household_id": person.household_id, "resident_id": person.resident_id}
    created |= _put(conn, t.household_members, keys, member)
    line = {
        "address": ADDRESS,
        "moved_in_on": MOVED_IN,
        "reason": "전입",
        "head_name": person.name,
        "head_relation": "본인",
    }
    created |= _put(conn, t.address_history, {"resident_id": person.resident_id, "seq": 1}, line)
    return created


def install_probe(engine: Engine, vault: RrnVault, *, password_hash: str) -> ProbeInstalled:
    """Adds or refreshes the probe office, 홍길동 and 성춘향 (each in a household of their
    own), and the sign-in account of 홍길동 with ``password_hash``."""
    with engine.begin() as conn:
        _check_free(conn, vault)
        office = {
            "name": PROBE_OFFICE.name,
            "head_title": PROBE_OFFICE.head_title,
            "district": PROBE_OFFICE.district,
        }
        created = _put(conn, t.offices, {"code": PROBE_OFFICE.code}, office)
        for person in PROBE_PEOPLE:
            created |= _person(conn, vault, person)
        account = {"password_hash": password_hash, "resident_id": PROBE_SELF.resident_id}
        created |= _put(conn, t.citizen_accounts, {"username": PROBE_USERNAME}, account)
    return ProbeInstalled(
        username=PROBE_USERNAME,
        office_code=PROBE_OFFICE.code,
        resident_ids=(PROBE_SELF.resident_id, PROBE_OTHER.resident_id),
        created=created,
    )


def probe_rows(table: Table) -> Any:
    """Returns the condition that picks the probe's own rows of ``table`` (None: it has
    none), so that a check for an empty registry can look past them."""
    ids = [p.resident_id for p in PROBE_PEOPLE]
    conditions: dict[str, Any] = {
        "offices": t.offices.c.code == PROBE_OFFICE.code,
        "residents": t.residents.c.probe.is_(True),
        "households": t.households.c.id.in_([p.household_id for p in PROBE_PEOPLE]),
        "citizen_accounts": t.citizen_accounts.c.resident_id.in_(ids),
    }
    return conditions.get(table.name)
