"""Unit of work: one connection, one transaction; rolls back unless ``commit()`` is called."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction

from minwon.adapters.identity_store import IdentityStore
from minwon.adapters.issuance_store import AuditLog, IdempotencyStore, IssuanceStore
from minwon.adapters.registry_repository import RegistryRepository
from minwon.registry.vault import RrnVault


class UnitOfWork:
    registry: RegistryRepository
    issuances: IssuanceStore
    idempotency: IdempotencyStore
    audit: AuditLog
    identity: IdentityStore

    def __init__(self, engine: Engine, vault: RrnVault, *, readonly: bool = False) -> None:
        self._engine = engine
        self._vault = vault
        self._readonly = readonly
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._readonly:
            conn = conn.execution_options(minwon_readonly=True)
        self._conn = conn
        self._tx = conn.begin()
        self.registry = RegistryRepository(conn, self._vault)
        self.issuances = IssuanceStore(conn, self._vault)
        self.idempotency = IdempotencyStore(conn)
        self.audit = AuditLog(conn)
        self.identity = IdentityStore(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._tx = None

    def commit(self) -> None:
        assert self._tx is not None, "unit of work not entered"
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()


class UnitOfWorkFactory:
    """Makes units of work on one engine; shared by web, CLI and tests."""

    def __init__(self, engine: Engine, vault: RrnVault) -> None:
        self.engine = engine
        self.vault = vault

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.vault, readonly=readonly)
