"""Unit of work on SQL: one connection, one transaction; rolls back unless ``commit()``.

It implements the issuance, identity, registry, notification and heartbeat unit-of-work
ports at once, and turns the database errors a retry may cure into ``errors.Unavailable`` (see
``is_transient``), so no use case needs to know SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction, text

from minwon.adapters.applicant_store import ApplicantStore
from minwon.adapters.audit_store import AuditLog
from minwon.adapters.database import is_schema_missing, is_transient
from minwon.adapters.identity_store import IdentityStore
from minwon.adapters.instance_store import InstanceStore
from minwon.adapters.issuance_store import IdempotencyStore, IssuanceStore
from minwon.adapters.migrate import schema_usable
from minwon.adapters.notice_store import NoticeStore
from minwon.adapters.registry_repository import RegistryRepository
from minwon.errors import NotReady, Unavailable
from minwon.registry.vault import RrnVault


def unavailable() -> Unavailable:
    """Returns the error a lost database becomes: a 503 whose request may be sent again."""
    return Unavailable(
        "database.unavailable",
        "데이터베이스 전환 중입니다. 같은 요청(같은 Idempotency-Key)을 잠시 후 다시 보내 주세요.",
        retry_after=1,
    )


class UnitOfWork:
    """The stores of every context on one connection and transaction."""

    registry: RegistryRepository
    issuances: IssuanceStore
    idempotency: IdempotencyStore
    audit: AuditLog
    identity: IdentityStore
    applicants: ApplicantStore
    notices: NoticeStore
    instances: InstanceStore

    def __init__(self, engine: Engine, vault: RrnVault, *, readonly: bool = False) -> None:
        self._engine = engine
        self._vault = vault
        self._readonly = readonly
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        try:
            conn = self._engine.connect()
            if self._readonly:
                conn = conn.execution_options(minwon_readonly=True)
            self._conn = conn
            self._tx = conn.begin()
        except Exception as exc:
            self._close()
            if is_transient(exc):
                raise unavailable() from exc
            raise
        self.registry = RegistryRepository(conn, self._vault)
        self.issuances = IssuanceStore(conn, self._vault)
        self.idempotency = IdempotencyStore(conn)
        self.audit = AuditLog(conn)
        self.identity = IdentityStore(conn)
        self.applicants = ApplicantStore(conn, self._vault)
        self.notices = NoticeStore(conn)
        self.instances = InstanceStore(conn)
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
        except Exception:
            if exc is None:
                raise
            # Rolling back a lost connection fails too; the error that matters is ``exc``.
        finally:
            self._close()
        if exc is not None and is_transient(exc):
            raise unavailable() from exc
        if exc is not None and is_schema_missing(exc):
            raise NotReady(
                "database.schema",
                "데이터베이스에 필요한 표가 없습니다. 운영자가 `minwon init`을 실행해야 합니다.",
            ) from exc

    def _close(self) -> None:
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

    def ping(self) -> None:
        assert self._conn is not None, "unit of work not entered"
        if self._conn.dialect.name == "sqlite":
            # A pooled connection keeps working on a file deleted under it, and what it
            # writes is gone at the next start: that is not a database that is ready.
            for row in self._conn.exec_driver_sql("PRAGMA database_list"):
                if row[1] == "main" and row[2] and not Path(row[2]).exists():
                    raise NotReady(
                        "database.missing",
                        "데이터베이스 파일이 없어졌습니다. 운영자가 확인해야 합니다.",
                    )
        version = self._conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        # Expand and contract: ready at this code's head, with only contract revisions of
        # its own still to come, or on a newer release's schema (a rolling release).
        if not schema_usable(version):
            raise NotReady(
                "database.schema_behind",
                "데이터베이스 스키마가 이 버전과 맞지 않습니다. 운영자가 `minwon init`을 "
                "실행해야 합니다.",
            )


class UnitOfWorkFactory:
    """Makes units of work on one engine; shared by web, CLI and tests."""

    def __init__(self, engine: Engine, vault: RrnVault) -> None:
        self.engine = engine
        self.vault = vault

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.vault, readonly=readonly)
