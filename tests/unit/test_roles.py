"""Which offices a staff member's role covers (identity/roles.py), table-driven: the same
office, another office of the same district, the other district, the city hall."""

from __future__ import annotations

import pytest

from minwon.errors import Forbidden
from minwon.identity.model import Principal, PrincipalKind
from minwon.identity.roles import ensure_writer, needs_offices, within
from minwon.registry.model import Office

DONG_A = Office("A1", "완산 가동", "가동장", "완산구")
DONG_B = Office("A2", "완산 나동", "나동장", "완산구")
GU_A = Office("A0", "완산구청", "완산구청장", "완산구")
DONG_X = Office("B1", "덕진 다동", "다동장", "덕진구")
CITY = Office("C0", "전주시청", "전주시장", "")


def _staff(
    role: str | None, office: Office, kind: PrincipalKind = PrincipalKind.CLERK
) -> Principal:
    return Principal(kind, f"{role}-{office.code}", office_code=office.code, role=role)


@pytest.mark.parametrize(
    ("role", "home", "target", "allowed"),
    [
        ("clerk", DONG_A, DONG_A, True),
        ("clerk", DONG_A, DONG_B, False),
        ("clerk", DONG_A, GU_A, False),
        ("supervisor", DONG_A, DONG_B, True),
        ("supervisor", DONG_A, GU_A, True),
        ("supervisor", DONG_A, DONG_X, False),  # the other district
        ("supervisor", DONG_A, CITY, False),
        ("supervisor", CITY, CITY, True),
        ("supervisor", CITY, DONG_A, False),  # the city hall is a district of its own
        ("auditor", CITY, DONG_X, True),
        ("auditor", DONG_A, DONG_X, True),
        ("superuser", DONG_A, DONG_B, False),  # an unknown role: a clerk's scope
        (None, DONG_A, DONG_B, False),
    ],
)
def test_a_role_covers_its_office_its_district_or_the_city(
    role: str | None, home: Office, target: Office, allowed: bool
) -> None:
    staff = _staff(role, home)
    own, other = (home, target) if needs_offices(staff, target.code) else (None, None)
    assert within(staff, target.code, own, other) is allowed


@pytest.mark.parametrize("kind", [PrincipalKind.CITIZEN, PrincipalKind.KIOSK])
def test_citizens_and_kiosks_have_no_office_scope(kind: PrincipalKind) -> None:
    assert not within(_staff("auditor", DONG_A, kind), DONG_A.code, DONG_A, DONG_A)


def test_only_the_auditor_is_read_only() -> None:
    with pytest.raises(Forbidden) as err:
        ensure_writer(_staff("auditor", CITY))
    assert err.value.code == "auth.read_only"
    for role in ("clerk", "supervisor", "superuser"):
        ensure_writer(_staff(role, DONG_A))


def test_kiosk_refs_are_per_session() -> None:
    one = Principal(PrincipalKind.KIOSK, "kiosk-" + "9" * 34, session="a" * 12)
    other = Principal(PrincipalKind.KIOSK, "kiosk-" + "9" * 34, session="b" * 12)
    assert one.ref != other.ref and len(one.ref) <= 60  # the columns hold 60
    assert (
        Principal(PrincipalKind.KIOSK, "k").ref
        != Principal(PrincipalKind.KIOSK, "k", session="x").ref
    )
