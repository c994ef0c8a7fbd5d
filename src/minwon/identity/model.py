"""Who is calling: citizens, clerks and kiosks, each through its own channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from minwon.audit.model import Actor
from minwon.catalog.model import Channel


class PrincipalKind(StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"
    KIOSK = "kiosk"


CHANNEL_OF = {
    PrincipalKind.CITIZEN: Channel.ONLINE,
    PrincipalKind.CLERK: Channel.COUNTER,
    PrincipalKind.KIOSK: Channel.KIOSK,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``resident_id`` is the person the channel has identified: the signed-in citizen, or the
    person whose fingerprint a kiosk verified. Clerks identify the person at the counter per
    request (ID card check), so theirs is None.

    ``session`` is a kiosk session's own id: everyone served at a kiosk is a different
    requester, so what one person obtained there is theirs and that session's alone.
    """

    kind: PrincipalKind
    id: str
    office_code: str | None = None
    resident_id: str | None = None
    role: str | None = None
    name: str | None = None
    session: str | None = None

    @property
    def channel(self) -> Channel:
        return CHANNEL_OF[self.kind]

    @property
    def ref(self) -> str:
        if self.kind is PrincipalKind.KIOSK:
            # At most 6 + 40 + 1 + 12 characters (the columns hold 60). Without a session
            # (one opened before sessions had ids) it matches no issuance at all.
            return f"kiosk:{self.id}/{self.session or ''}"
        return f"{self.kind.value}:{self.id}"

    @property
    def actor(self) -> Actor:
        """Returns who this is as the audit trail records them."""
        return Actor(self.kind.value, self.id, self.channel.value, self.office_code, self.role)


@dataclass(frozen=True, slots=True)
class Account:
    """A sign-in account: a citizen's, a clerk's, or a kiosk device's (its key's hash)."""

    id: str
    secret_hash: str
    office_code: str | None
    resident_id: str | None
    role: str | None
    name: str | None
    active: bool = True

    def as_citizen(self) -> Principal:
        """The citizen this account signs in as."""
        return Principal(PrincipalKind.CITIZEN, self.id, resident_id=self.resident_id)

    def as_clerk(self) -> Principal:
        """The clerk this account signs in as: their office, role and name."""
        return Principal(
            PrincipalKind.CLERK,
            self.id,
            office_code=self.office_code,
            role=self.role,
            name=self.name,
        )


@dataclass(frozen=True, slots=True)
class SignInGuard:
    """Failed sign-ins in a row at one account: from one address it was signed in from,
    or (``source`` "*") from all the addresses it never was; when the next try may come;
    and the address's last successful sign-in (identity/signin.py)."""

    kind: PrincipalKind
    username: str
    source: str
    failures: int = 0
    last_failure_at: datetime | None = None
    delayed_until: datetime | None = None
    last_success_at: datetime | None = None
