"""Identity's storage port: accounts, database sessions and shared rate-limit windows."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from minwon.audit.ports import AuditLog
from minwon.identity.model import Account, Principal, PrincipalKind, SignInGuard
from minwon.registry.ports import RegistryReader
from minwon.storage import UnitOfWork


class IdentityStore(Protocol):
    """Accounts, sessions (any instance reads any other's) and rate-limit windows."""

    def citizen(self, username: str) -> Account | None:
        """Returns the citizen account, or None."""
        ...

    def clerk(self, username: str) -> Account | None:
        """Returns the clerk account, or None."""
        ...

    def kiosk(self, device_id: str) -> Account | None:
        """Returns the kiosk device account, or None."""
        ...

    def set_kiosk_key(self, device_id: str, key_hash: str) -> bool:
        """Replaces a kiosk's key hash; False when there is no such kiosk."""
        ...

    def close_sessions_of(self, kind: PrincipalKind, principal_id: str) -> int:
        """Ends every session of one principal; returns how many there were."""
        ...

    def rehash(self, kind: PrincipalKind, account_id: str, new_hash: str) -> None:
        """Stores an upgraded password hash."""
        ...

    def open_session(
        self, *, token: str, principal: Principal, now: datetime, expires: datetime
    ) -> None:
        """Stores a session for ``token`` (by digest) until ``expires``."""
        ...

    def session(self, token: str, now: datetime) -> Principal | None:
        """Returns the principal of a live session, or None."""
        ...

    def close_session(self, token: str) -> None:
        """Ends a session."""
        ...

    def hit(self, bucket: str, window_start: int, count: int = 1) -> int:
        """Adds ``count`` hits to a fixed window and returns the window's count so far."""
        ...

    def prune_windows(self, before: int) -> None:
        """Forgets windows that started before ``before``."""
        ...

    def sign_in_guard(self, kind: PrincipalKind, username: str, source: str) -> SignInGuard | None:
        """Returns the failed sign-ins at an account from ``source`` (an address or "*")."""
        ...

    def lock_sign_in_guard(
        self,
        kind: PrincipalKind,
        username: str,
        source: str,
        *,
        failures_since: datetime,
        successes_since: datetime,
    ) -> SignInGuard:
        """Returns the guard row, created empty if there is none, locked until the end of the
        transaction. Creating one first forgets every row with no failure since
        ``failures_since`` and no success since ``successes_since``."""
        ...

    def save_sign_in_guard(self, guard: SignInGuard) -> None:
        """Stores a guard row that ``lock_sign_in_guard`` returned (changed)."""
        ...


class IdentityUnitOfWork(UnitOfWork, Protocol):
    """What identity use cases touch in one transaction."""

    @property
    def identity(self) -> IdentityStore: ...

    @property
    def registry(self) -> RegistryReader: ...

    @property
    def audit(self) -> AuditLog: ...


class IdentityUnitOfWorks(Protocol):
    """Makes identity units of work; ``readonly`` ones never take a write lock."""

    def __call__(self, *, readonly: bool = False) -> IdentityUnitOfWork: ...
