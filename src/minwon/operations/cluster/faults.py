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


EXAMPLES = "postgres:pg1, patroni:pg1, etcd:e1, haproxy:1, app:1"


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


Operation = Kill | Start


def postmaster(member: str) -> ProcessRef:
    """Returns the reference to `member`'s PostgreSQL postmaster."""
    return ProcessRef(ProcessKind.POSTGRES, member)


def patroni(member: str) -> ProcessRef:
    """Returns the reference to `member`'s Patroni daemon."""
    return ProcessRef(ProcessKind.PATRONI, member)


def etcd(name: str) -> ProcessRef:
    """Returns the reference to etcd member `name` (e1...)."""
    return ProcessRef(ProcessKind.ETCD, name)


def haproxy(name: str) -> ProcessRef:
    """Returns the reference to HAProxy path `name` (1, 2)."""
    return ProcessRef(ProcessKind.HAPROXY, name)


def app(name: str) -> ProcessRef:
    """Returns the reference to app instance `name` (1, 2...)."""
    return ProcessRef(ProcessKind.APP, name)
