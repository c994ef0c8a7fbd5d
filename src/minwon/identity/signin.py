"""Failed sign-ins slow the one trying, never lock the owner out.

A limit per account alone can be turned against its owner: ten wrong passwords a minute
from anywhere, and the right one got 429. So an account's failures are counted per
address instead, and apart from them for every address the account was never signed in
from ("*"). After ``free_failures`` failures in a row, each further try from a new
address waits 2 s, 4 s, 8 s … up to ``max_delay_seconds``; an address that signed in to
the account before (the owner's own) is held back only by its own failures. A flood from
elsewhere therefore slows the flood and not the owner, and someone at the owner's own
address slows only that address.

Each try is counted as failed before its password is checked and cleared when it proves
right, so parallel tries cannot slip past the count. Accounts that do not exist are
guarded alike: their answers must not tell which usernames do. The rows are shared by
every instance (DESIGN.md: nothing lives only in one process).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from minwon.errors import RateLimited
from minwon.identity.model import PrincipalKind

if TYPE_CHECKING:
    from minwon.identity.ports import IdentityUnitOfWorks

NEW_ADDRESSES = "*"  # the guard row for every address the account was never signed in from
FIRST_DELAY_SECONDS = 2
REMEMBER_ADDRESSES = timedelta(days=90)  # an address that signed in is known this long
FORGET_FAILURES = timedelta(hours=24)  # failures in a row start over after a quiet day
USERNAME_CHARS = 60
SOURCE_CHARS = 64


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How failed sign-ins slow the next try (``MINWON_LOGIN_BACKOFF_*``)."""

    free_failures: int = 5
    max_delay_seconds: int = 900

    def delay(self, failures: int) -> timedelta:
        """Returns how long the next try must wait after ``failures`` in a row."""
        if failures < self.free_failures:
            return timedelta()
        doublings = min(failures - self.free_failures, 30)
        return timedelta(seconds=min(FIRST_DELAY_SECONDS * 2**doublings, self.max_delay_seconds))


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in try admitted and counted as failed until ``succeeded`` clears it."""

    kind: PrincipalKind
    username: str
    source: str
    known_source: bool

    @property
    def scope(self) -> str:
        return self.source if self.known_source else NEW_ADDRESSES


def _slowed(wait: timedelta) -> RateLimited:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    return RateLimited(
        "auth.slowed",
        f"로그인에 여러 번 실패하여 이 계정은 {seconds}초 뒤에 다시 시도할 수 있습니다. "
        "전에 로그인한 곳에서는 기다리지 않아도 됩니다.",
        retry_after=seconds,
    )


def admit(
    uows: IdentityUnitOfWorks,
    policy: SignInPolicy,
    *,
    kind: PrincipalKind,
    username: str,
    source: str,
    now: datetime,
) -> Attempt:
    """Counts one sign-in try before its password is checked; raises RateLimited
    (``auth.slowed``) while tries at this account from ``source`` must wait."""
    username, source = username[:USERNAME_CHARS], source[:SOURCE_CHARS]
    with uows() as uow:
        own = uow.identity.sign_in_guard(kind, username, source)
        known = (
            own is not None
            and own.last_success_at is not None
            and own.last_success_at >= now - REMEMBER_ADDRESSES
        )
        attempt = Attempt(kind, username, source, known)
        guard = uow.identity.lock_sign_in_guard(
            kind,
            username,
            attempt.scope,
            failures_since=now - FORGET_FAILURES,
            successes_since=now - REMEMBER_ADDRESSES,
        )
        if guard.delayed_until is not None and guard.delayed_until > now:
            raise _slowed(guard.delayed_until - now)
        quiet = guard.last_failure_at is None or guard.last_failure_at < now - FORGET_FAILURES
        failures = 1 if quiet else guard.failures + 1
        wait = policy.delay(failures)
        uow.identity.save_sign_in_guard(
            replace(
                guard,
                failures=failures,
                last_failure_at=now,
                delayed_until=now + wait if wait else None,
            )
        )
        uow.commit()
    return attempt


def succeeded(uows: IdentityUnitOfWorks, attempt: Attempt, *, now: datetime) -> None:
    """Clears the try's count and remembers its address as one the account signs in from.

    A success from a known address leaves the count for new addresses as it is: whoever
    is trying from elsewhere stays slowed.
    """
    with uows() as uow:
        scopes = [attempt.source] + ([] if attempt.known_source else [NEW_ADDRESSES])
        for scope in scopes:
            guard = uow.identity.lock_sign_in_guard(
                attempt.kind,
                attempt.username,
                scope,
                failures_since=now - FORGET_FAILURES,
                successes_since=now - REMEMBER_ADDRESSES,
            )
            cleared = replace(guard, failures=0, last_failure_at=None, delayed_until=None)
            if scope == attempt.source:
                cleared = replace(cleared, last_success_at=now)
            uow.identity.save_sign_in_guard(cleared)
        uow.commit()
