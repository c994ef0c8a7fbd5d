"""What a partition scenario watches, as plain values: who took writes when, and what a
writer on the isolated host had acknowledged.

A ``RoleSample`` is one look at every member's PostgreSQL (``pg_is_in_recovery()``);
a ``Commit`` one attempt of a writer on a host. The functions here only read them:
two primaries in one sample, when a member stopped being primary, when another became
one, which commits were acknowledged after a moment. Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class RoleSample:
    """Every member's role at monotonic time `at`: True takes writes (not in recovery),
    False in recovery, None did not answer (stopped, restarting)."""

    at: float
    roles: tuple[tuple[str, bool | None], ...]

    @property
    def primaries(self) -> tuple[str, ...]:
        """Returns the members that took writes at that moment."""
        return tuple(name for name, primary in self.roles if primary is True)

    def role(self, member: str) -> bool | None:
        """Returns `member`'s role in this sample (None if it did not answer)."""
        return dict(self.roles).get(member)


@dataclass(frozen=True)
class Commit:
    """One commit a writer sent: when it began, and when (if ever) it came back committed."""

    began: float
    acknowledged_at: float | None = None
    row: int | None = None  # the row it wrote, once acknowledged

    @property
    def acknowledged(self) -> bool:
        """Returns True if the server reported the commit as done."""
        return self.acknowledged_at is not None


def with_two_primaries(samples: Sequence[RoleSample]) -> list[RoleSample]:
    """Returns the samples in which more than one member took writes (split brain)."""
    return [s for s in samples if len(s.primaries) > 1]


def stopped_leading(samples: Sequence[RoleSample], member: str, after: float) -> float | None:
    """Returns the time of the first sample after `after` in which `member` did not take
    writes (in recovery or silent), or None if it always did."""
    return next((s.at for s in samples if s.at > after and s.role(member) is not True), None)


def another_leads(
    samples: Sequence[RoleSample], member: str, after: float
) -> tuple[str, float] | None:
    """Returns the first member other than `member` seen taking writes after `after`,
    and when; None if none was."""
    for sample in samples:
        others = [m for m in sample.primaries if m != member]
        if sample.at > after and others:
            return others[0], sample.at
    return None


def acknowledged_after(commits: Sequence[Commit], moment: float) -> list[Commit]:
    """Returns the commits begun after `moment` that were acknowledged anyway."""
    return [c for c in commits if c.began > moment and c.acknowledged]


def longest_between(samples: Sequence[RoleSample], start: float, end: float) -> float:
    """Returns the longest time between two samples in [start, end] (or to its edges):
    how blind the watch was at worst."""
    times = [start, *(s.at for s in samples if start <= s.at <= end), end]
    return max((b - a for a, b in pairwise(times)), default=0.0)
