"""Accounts, database-backed sessions and rate-limit windows (shared by all instances)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from minwon.adapters import tables as t
from minwon.identity.model import Account, Principal, PrincipalKind, SignInGuard


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IdentityStore:
    """Accounts, sessions and rate-limit windows on SQL (implements identity.ports)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def citizen(self, username: str) -> Account | None:
        row = self._conn.execute(
            select(t.citizen_accounts).where(t.citizen_accounts.c.username == username)
        ).first()
        if row is None:
            return None
        return Account(row.username, row.password_hash, None, row.resident_id, None, None)

    def clerk(self, username: str) -> Account | None:
        row = self._conn.execute(select(t.clerks).where(t.clerks.c.username == username)).first()
        if row is None:
            return None
        return Account(row.username, row.password_hash, row.office_code, None, row.role, row.name)

    def kiosk(self, device_id: str) -> Account | None:
        row = self._conn.execute(select(t.kiosks).where(t.kiosks.c.device_id == device_id)).first()
        if row is None:
            return None
        return Account(
            row.device_id, row.key_hash, row.office_code, None, None, row.location, row.active
        )

    def set_kiosk_key(self, device_id: str, key_hash: str) -> bool:
        """Replaces a kiosk's key hash; False when there is no such kiosk."""
        table = t.kiosks
        done = self._conn.execute(
            update(table).where(table.c.device_id == device_id).values(key_hash=key_hash)
        )
        return done.rowcount == 1

    def close_sessions_of(self, kind: PrincipalKind, principal_id: str) -> int:
        """Ends every session of one principal (a kiosk whose key changed); returns how many."""
        table = t.auth_sessions
        done = self._conn.execute(
            delete(table).where(
                table.c.principal_kind == kind.value, table.c.principal_id == principal_id
            )
        )
        return int(done.rowcount)

    def rehash(self, kind: PrincipalKind, account_id: str, new_hash: str) -> None:
        """Stores an upgraded password hash (argon2 parameters changed)."""
        if kind is PrincipalKind.CITIZEN:
            table, col = t.citizen_accounts, t.citizen_accounts.c.username
            values: dict[str, Any] = {"password_hash": new_hash}
        elif kind is PrincipalKind.CLERK:
            table, col = t.clerks, t.clerks.c.username
            values = {"password_hash": new_hash}
        else:
            table, col = t.kiosks, t.kiosks.c.device_id
            values = {"key_hash": new_hash}
        self._conn.execute(update(table).where(col == account_id).values(**values))

    def open_session(
        self, *, token: str, principal: Principal, now: datetime, expires: datetime
    ) -> None:
        self._conn.execute(
            insert(t.auth_sessions).values(
                token_digest=token_digest(token),
                principal_kind=principal.kind.value,
                principal_id=principal.id,
                resident_id=principal.resident_id,
                office_code=principal.office_code,
                created_at=now,
                expires_at=expires,
                attributes={
                    "role": principal.role,
                    "name": principal.name,
                    "session": principal.session,
                },
            )
        )

    def session(self, token: str, now: datetime) -> Principal | None:
        row = self._conn.execute(
            select(t.auth_sessions).where(t.auth_sessions.c.token_digest == token_digest(token))
        ).first()
        if row is None:
            return None
        if row.expires_at <= now:
            return None
        attrs = row.attributes or {}
        return Principal(
            kind=PrincipalKind(row.principal_kind),
            id=row.principal_id,
            office_code=row.office_code,
            resident_id=row.resident_id,
            role=attrs.get("role"),
            name=attrs.get("name"),
            session=attrs.get("session"),
        )

    def close_session(self, token: str) -> None:
        self._conn.execute(
            delete(t.auth_sessions).where(t.auth_sessions.c.token_digest == token_digest(token))
        )

    def hit(self, bucket: str, window_start: int, count: int = 1) -> int:
        """Adds ``count`` hits to a fixed window and returns the window's count so far."""
        table = t.rate_limit_windows
        where = (table.c.bucket == bucket, table.c.window_start == window_start)
        updated = self._conn.execute(update(table).where(*where).values(hits=table.c.hits + count))
        if updated.rowcount == 0:
            try:
                with self._conn.begin_nested():
                    self._conn.execute(
                        insert(table).values(bucket=bucket, window_start=window_start, hits=count)
                    )
                return count
            except IntegrityError:
                self._conn.execute(update(table).where(*where).values(hits=table.c.hits + count))
        row = self._conn.execute(select(table.c.hits).where(*where)).one()
        return int(row.hits)

    def prune_windows(self, before: int) -> None:
        table = t.rate_limit_windows
        self._conn.execute(delete(table).where(table.c.window_start < before))

    def sign_in_guard(self, kind: PrincipalKind, username: str, source: str) -> SignInGuard | None:
        table = t.sign_in_guards
        row = self._conn.execute(select(table).where(*_guard_key(kind, username, source))).first()
        return _guard(row) if row is not None else None

    def lock_sign_in_guard(
        self,
        kind: PrincipalKind,
        username: str,
        source: str,
        *,
        failures_since: datetime,
        successes_since: datetime,
    ) -> SignInGuard:
        table = t.sign_in_guards
        key = _guard_key(kind, username, source)
        # FOR UPDATE on PostgreSQL (SQLite's writers hold the whole file already).
        locked = select(table).where(*key).with_for_update()
        row = self._conn.execute(locked).first()
        if row is None:
            self._conn.execute(
                delete(table).where(
                    (table.c.last_failure_at.is_(None))
                    | (table.c.last_failure_at < failures_since),
                    (table.c.last_success_at.is_(None))
                    | (table.c.last_success_at < successes_since),
                )
            )
            try:
                with self._conn.begin_nested():
                    self._conn.execute(
                        insert(table).values(
                            principal_kind=kind.value, username=username, source=source, failures=0
                        )
                    )
            except IntegrityError:
                pass  # another transaction made it meanwhile: lock theirs
            row = self._conn.execute(locked).one()
        return _guard(row)

    def save_sign_in_guard(self, guard: SignInGuard) -> None:
        table = t.sign_in_guards
        self._conn.execute(
            update(table)
            .where(*_guard_key(guard.kind, guard.username, guard.source))
            .values(
                failures=guard.failures,
                last_failure_at=guard.last_failure_at,
                delayed_until=guard.delayed_until,
                last_success_at=guard.last_success_at,
            )
        )


def _guard_key(kind: PrincipalKind, username: str, source: str) -> tuple[Any, ...]:
    table = t.sign_in_guards
    return (
        table.c.principal_kind == kind.value,
        table.c.username == username,
        table.c.source == source,
    )


def _guard(row: Any) -> SignInGuard:
    return SignInGuard(
        kind=PrincipalKind(row.principal_kind),
        username=row.username,
        source=row.source,
        failures=row.failures,
        last_failure_at=row.last_failure_at,
        delayed_until=row.delayed_until,
        last_success_at=row.last_success_at,
    )
