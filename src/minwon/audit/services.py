"""Use cases of the audit trail: sign a checkpoint, check the whole trail."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from minwon.audit.chain import Checkpoint
from minwon.audit.checkpoints import PublicKeyFor, TrailReport, check_trail, sign_checkpoint

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from minwon.audit.ports import AuditUnitOfWorks


def checkpoint(
    uows: AuditUnitOfWorks, key: ed25519.Ed25519PrivateKey, now: datetime
) -> Checkpoint | None:
    """Signs the chain's current head; None when there is nothing new to pin."""
    with uows() as uow:
        seq, chain_hash = uow.audit.head()
        if seq == 0:
            return None
        made = sign_checkpoint(key, seq=seq, chain_hash=chain_hash, now=now)
        stored = uow.audit.add_checkpoint(made)
        uow.commit()
    return made if stored else None


def verify_trail(uows: AuditUnitOfWorks, key_for: PublicKeyFor) -> TrailReport:
    """Walks the whole trail against its signed checkpoints."""
    with uows(readonly=True) as uow:
        return check_trail(uow.audit.chained(), uow.audit.checkpoints(), key_for)
