"""The network partition in ``FakeCluster``'s model: a host cut off and put back.

A leader whose host is cut off commits nothing (no standby reaches it), demotes itself
after ``partition_demote`` seconds, and its lease passes to the sync standby after
``lease`` seconds, as measured on hosts in network namespaces (``network/hosts.py``).
``FakeCluster`` inherits these methods; ``_Model`` names what they use of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from minwon.operations.cluster.fake_model import FakeTimings, Member


class _Model(Protocol):
    timings: FakeTimings
    member_names: tuple[str, ...]
    etcd_names: tuple[str, ...]
    _members: dict[str, Member]
    _etcd: set[str]
    _sync: str | None

    def _after(self, seconds: float, change: Callable[[], None]) -> None: ...

    def _pick_sync(self) -> None: ...

    def _fail_over(self, old: Member, *, comes_back: bool) -> None: ...

    def _rejoin(self, member: Member) -> None: ...

    def _start_etcd(self, name: str) -> None: ...


class PartitionModel:
    """What a partition does to the fake cluster (mixed into ``FakeCluster``)."""

    def isolate(self: _Model, member: str) -> None:
        """Cuts `member`'s host (its etcd member too) off the network."""
        cut = self._members[member]
        cut.isolated = True
        self._etcd.discard(_etcd_of(self, member))
        self._pick_sync()
        if cut.leader:
            self._after(self.timings.partition_demote, lambda: _demote_isolated(cut))
            self._after(self.timings.lease, lambda: _isolated_lease_expires(self, cut))

    def heal(self: _Model, member: str) -> None:
        """Puts `member`'s host on the network again: a demoted old leader rejoins as a
        replica after ``rejoin`` s."""
        healed = self._members[member]
        if not healed.isolated:
            return
        healed.isolated = False
        self._start_etcd(_etcd_of(self, member))
        self._after(self.timings.rejoin, lambda: self._rejoin(healed))

    def roles(self: _Model) -> dict[str, bool | None]:
        """Returns every member's role: True takes writes, False in recovery, None down."""
        return {m.name: m.primary if m.postgres else None for m in self._members.values()}

    def commits_on_host(self: _Model, member: str) -> bool:
        """Returns True if a commit sent on `member`'s own host would be acknowledged:
        it is the primary and a standby it reaches confirms."""
        there, sync = self._members[member], self._members.get(self._sync or "")
        return there.primary and sync is not None and sync.serving and not there.isolated


def _etcd_of(model: _Model, member: str) -> str:
    return model.etcd_names[model.member_names.index(member)]  # host i runs e<i> and pg<i>


def _demote_isolated(member: Member) -> None:
    if member.isolated and member.leader:
        member.demoted = True


def _isolated_lease_expires(model: _Model, member: Member) -> None:
    if member.isolated and member.leader:
        model._fail_over(member, comes_back=False)
