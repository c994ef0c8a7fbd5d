"""Which process a fault hits, as a typed value: ``ProcessRef(ProcessKind.POSTGRES, "pg1")``.

Text such as ``postgres:pg1`` is parsed once, at the edge (the CLI); everything inside
the launcher, the fake and the scenarios passes ``ProcessRef`` values.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from enum import StrEnum

from minwon.operations.cluster.errors import UnknownProcessError


class ProcessKind(StrEnum):
    """The kinds of process a cluster runs; ``POSTGRES`` is started by its Patroni."""

    ETCD = "etcd"
    PATRONI = "patroni"
    POSTGRES = "postgres"
    HAPROXY = "haproxy"
    APP = "app"
    GUARD = "guard"  # beside each Patroni: fences a primary that stops answering
    WATCH = "watch"  # the incident watcher (``minwon ops watch``): records every fault


EXAMPLES = "postgres:pg1, patroni:pg1, guard:pg1, etcd:e1, haproxy:1, app:1, watch:incidents"


@dataclass(frozen=True, order=True)
class ProcessRef:
    """One process of the cluster: its kind and the name of its member or instance."""

    kind: ProcessKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> ProcessRef:
        """Returns the reference written as ``kind:name``; UnknownProcessError if malformed."""
        kind_text, _, name = text.strip().partition(":")
        kind = next((k for k in ProcessKind if k.value == kind_text), None)
        if kind is None or not name:
            raise UnknownProcessError(f"unknown process {text!r}; use {EXAMPLES}")
        return cls(kind, name)


@dataclass(frozen=True)
class Kill:
    """A fault: signal `sig` sent to one process (SIGKILL unless said otherwise)."""

    target: ProcessRef
    sig: int = signal.SIGKILL


@dataclass(frozen=True)
class Start:
    """A repair: one stopped process started again (a no-op while it runs)."""

    target: ProcessRef


class PauseScope(StrEnum):
    """What of a member a pause freezes (SIGSTOP), from the smallest part to the host."""

    WALRECEIVER = "walreceiver"  # the standby's walreceiver: replication hangs, nothing dies
    POSTGRES = "postgres"  # the postmaster and every child: a hung database
    POSTMASTER = "postmaster"  # the postmaster alone: its backends go on serving
    NODE = "node"  # Patroni and its PostgreSQL: a hung host


@dataclass(frozen=True, order=True)
class PauseTarget:
    """What a pause fault freezes: `scope` of member `member` (``walreceiver@pg2``)."""

    member: str
    scope: PauseScope

    def __str__(self) -> str:
        return f"{self.scope.value}@{self.member}"

    @classmethod
    def parse(cls, text: str) -> PauseTarget:
        """Returns the target written as ``scope@member``; UnknownProcessError if malformed."""
        scope_text, _, member = text.strip().partition("@")
        scope = next((s for s in PauseScope if s.value == scope_text), None)
        if scope is None or not member:
            raise UnknownProcessError(
                f"unknown pause target {text!r}; use walreceiver@pg2, postgres@pg2, "
                "postmaster@pg1, node@pg1"
            )
        return cls(member, scope)


@dataclass(frozen=True)
class Pause:
    """A gray fault: the processes of `target` stopped with SIGSTOP, alive but hung."""

    target: PauseTarget


@dataclass(frozen=True)
class Resume:
    """The repair of a pause: SIGCONT to every process the pause of `target` stopped."""

    target: PauseTarget


Operation = Kill | Start | Pause | Resume


def postmaster(member: str) -> ProcessRef:
    """Returns the reference to `member`'s PostgreSQL postmaster."""
    return ProcessRef(ProcessKind.POSTGRES, member)


def patroni(member: str) -> ProcessRef:
    """Returns the reference to `member`'s Patroni daemon."""
    return ProcessRef(ProcessKind.PATRONI, member)


def walreceiver(member: str) -> PauseTarget:
    """Returns the pause target of `member`'s walreceiver (a standby's replication)."""
    return PauseTarget(member, PauseScope.WALRECEIVER)


def whole_postgres(member: str) -> PauseTarget:
    """Returns the pause target of `member`'s postmaster and every child of it."""
    return PauseTarget(member, PauseScope.POSTGRES)


def postmaster_only(member: str) -> PauseTarget:
    """Returns the pause target of `member`'s postmaster alone (its backends run on)."""
    return PauseTarget(member, PauseScope.POSTMASTER)


def node(member: str) -> PauseTarget:
    """Returns the pause target of `member`'s whole node: Patroni and its PostgreSQL."""
    return PauseTarget(member, PauseScope.NODE)


def etcd(name: str) -> ProcessRef:
    """Returns the reference to etcd member `name` (e1...)."""
    return ProcessRef(ProcessKind.ETCD, name)


def haproxy(name: str) -> ProcessRef:
    """Returns the reference to HAProxy path `name` (1, 2)."""
    return ProcessRef(ProcessKind.HAPROXY, name)


def app(name: str) -> ProcessRef:
    """Returns the reference to app instance `name` (1, 2...)."""
    return ProcessRef(ProcessKind.APP, name)
