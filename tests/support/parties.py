"""People at the counter for applicant and notice tests: proxies from outside the city's
registry (a valid number nobody in the registry holds), a frozen counter clock, and the
인감 proxy command a clerk sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from minwon.bootstrap import Container, bootstrap
from minwon.clock import FixedClock
from minwon.issuance.commands import CounterRequester, IssueDocument, ProxyEvidence
from minwon.issuance.model import Delegation
from minwon.registry.model import Resident
from minwon.registry.rrn import CHECKSUM_ABOLISHED, check_digit, gender_digit
from support.world import World

# The counter's day: noon KST, after the synthetic registry's day (2026-11-01).
COUNTER_NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
COUNTER_DAY = date(2026, 11, 20)


def counter_container(world: World, at: datetime = COUNTER_NOW) -> Container:
    """A second container on the world's database whose clock stands still at ``at``."""
    return bootstrap(world.container.settings, clock=FixedClock(at))


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


def outside_rrn(container: Container, born: date, sex: str = "M") -> str:
    """Returns a valid number for ``born`` that no resident of the registry holds."""
    g = gender_digit(born, sex)
    for serial in range(10_000, 99_999, 7):
        first12 = f"{born:%y%m%d}{g}{serial:05d}"
        last = check_digit(first12) if born < CHECKSUM_ABOLISHED else serial % 10
        digits = first12 + str(last)
        with container.uows(readonly=True) as uow:
            if uow.registry.resident_by_rrn(digits) is None:
                return f"{digits[:6]}-{digits[6:]}"
    raise AssertionError("no free number")


@dataclass(frozen=True)
class Person:
    name: str
    rrn: str | None


def of(resident: Resident) -> Person:
    return Person(resident.name, resident.rrn)


def seal_by_proxy(
    key: str,
    subject: Resident,
    proxy: Person,
    *,
    written_on: date = COUNTER_DAY - timedelta(days=10),
    capture: str | None = "a1b2c3d4e5f6a7b8c9d0",
    **extra: Any,
) -> IssueDocument:
    """The command a clerk sends for a 인감증명서 issued to a proxy with a 위임장, every
    check done."""
    return IssueDocument(
        idempotency_key=key,
        document_type="ingam",
        subject_resident_id=subject.id,
        requester=CounterRequester(proxy.name, proxy.rrn, True),
        delegation=Delegation(
            written_on=written_on, document_types=("ingam",), delegator_id_seen=True
        ),
        proxy=ProxyEvidence(
            delegate_id_checked=True,
            delegator_id_checked=True,
            fingerprint_taken=True,
            fingerprint_capture=capture,
        ),
        **extra,
    )
