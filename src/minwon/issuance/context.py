"""What issuance services need from the outside world, wired once in bootstrap.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minwon.catalog.loader import Catalog
    from minwon.clock import Clock
    from minwon.issuance.claims import AbandonedClaims
    from minwon.issuance.ports import DocumentMaker, IssuanceUnitOfWorks


@dataclass(frozen=True, slots=True)
class IssuanceContext:
    uows: IssuanceUnitOfWorks
    catalog: Catalog
    clock: Clock
    online_office_code: str
    verify_url: str
    digest_key: bytes  # keys the public digest of every document (never leaves the server)
    documents: DocumentMaker  # signs each issuance's PDF once, at issuance
    idempotency_lease_seconds: int = 10
    db_retry_seconds: float = 1.5
    # The server process this runs in (its heartbeat frees its claims when it dies); None
    # for a process that does not beat (a CLI): its claims wait for their lease.
    instance_id: str | None = None
    in_flight_wait_seconds: float = 0.0  # a retry's wait for another request's claim
    # Claims given up on while the database was away; the heartbeat frees them (None: the
    # process has no heartbeat, and such claims wait for their lease).
    abandoned: AbandonedClaims | None = None
