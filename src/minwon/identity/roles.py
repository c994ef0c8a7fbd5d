"""What a staff member's role lets them do, and where: their office, their district, or the
whole city. Pure (standard library and registry values only).

- ``clerk``: reads and acts on their own office's records (issues, voids).
- ``supervisor``: reads and acts on the records of every office in their office's
  district (구): a 완산구 supervisor never reads or voids a 덕진구 office's records. An
  office with no district (the city hall, which issues the internet documents) is a
  district of its own.
- ``auditor``: reads every office's records city-wide and changes nothing; every read is
  in the audit trail, like everyone's.

An unknown role is a clerk's: whatever a database holds, nobody gets more than their
own office by a role this code does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minwon.errors import Forbidden
from minwon.identity.model import Principal, PrincipalKind
from minwon.registry.model import Office


class Scope(StrEnum):
    OFFICE = "office"
    DISTRICT = "district"
    CITY = "city"


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    label: str  # as pages show it
    scope: Scope
    writes: bool  # may issue, void and bind kiosks (within ``scope``)
    oversees: bool = False  # sees the office's refusals, denials and lookups


CLERK = Role("clerk", "담당 공무원", Scope.OFFICE, writes=True)
SUPERVISOR = Role("supervisor", "감독 공무원 (구 단위)", Scope.DISTRICT, writes=True, oversees=True)
AUDITOR = Role("auditor", "감사 담당 (시 전체 열람 전용)", Scope.CITY, writes=False, oversees=True)
ROLES = {r.name: r for r in (CLERK, SUPERVISOR, AUDITOR)}


def role_of(principal: Principal) -> Role | None:
    """Returns a staff member's role (a clerk's for an unknown one); None for others."""
    if principal.kind is not PrincipalKind.CLERK:
        return None
    return ROLES.get(principal.role or "", CLERK)


def needs_offices(principal: Principal, office_code: str) -> bool:
    """Returns True when deciding ``within`` for ``office_code`` needs the offices' districts
    (a clerk's own office, and anything for a city-wide role, need none)."""
    role = role_of(principal)
    return (
        role is not None and role.scope is Scope.DISTRICT and office_code != principal.office_code
    )


def within(
    principal: Principal, office_code: str, own: Office | None, other: Office | None
) -> bool:
    """Returns True when ``office_code`` lies in the staff member's scope; ``own`` and
    ``other`` are their office and that office (needed only when ``needs_offices``)."""
    role = role_of(principal)
    if role is None:
        return False
    if office_code == principal.office_code or role.scope is Scope.CITY:
        return True
    if role.scope is Scope.OFFICE or own is None or other is None:
        return False
    return own.district == other.district


def ensure_writer(principal: Principal) -> None:
    """Raises Forbidden for a read-only role (the auditor): it issues and voids nothing."""
    role = role_of(principal)
    if role is not None and not role.writes:
        raise Forbidden("auth.read_only", "열람 전용 계정은 발급·취소 등 처리를 할 수 없습니다.")
