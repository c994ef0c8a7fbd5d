"""The ledgers a drill compares, in SQL: the live cluster's rows committed at or before
TIME, and every row of the restored copy.

When a row committed is PostgreSQL's commit timestamp of the transaction that inserted
it (``pg_xact_commit_timestamp(xmin)``), which ``track_commit_timestamp`` keeps and
``recovery_target_time`` compares. Only rows never updated carry their inserting
transaction in ``xmin``: audit events (append-only) and fees (charged once). An issuance
is updated when it is voided, so its time is that of its ``issue`` audit event, written
by the same transaction; and its status as of TIME is ``voided`` only when the void's
audit event committed by then. A row whose transaction is older than the commit-timestamp
horizon (frozen, or from before the setting) falls back to the time the row itself
carries, long past by then.

Each row is reduced to a 60-bit hash of its key and what must not change (an audit
event's chain hash, a fee's amount, an issuance's number, content hash and status);
a side's fingerprint is the count and the sum of those hashes, so a million rows are
compared without moving them. Only when fingerprints differ are keys and hashes read
to count what is missing, extra or changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

from minwon.operations.backup.drill import DrillError, Fingerprint

_HASH = "('x' || substr(md5({material}), 1, 15))::bit(60)::bigint"


def _committed(alias: str, fallback: str) -> str:
    return f"coalesce(pg_xact_commit_timestamp({alias}.xmin), {alias}.{fallback})"


def _audit_times(action: str, outcome: str) -> str:
    return (
        f"SELECT a.issuance_id, min({_committed('a', 'at')}) AS t FROM audit_events a "
        f"WHERE a.action = '{action}' AND a.outcome = '{outcome}' "
        "AND a.issuance_id IS NOT NULL GROUP BY a.issuance_id"
    )


def rows_sql(table: str, *, live: bool) -> str:
    """Returns a query of (key, h, committed) for `table`; live rows take their status
    as of ``:upto``, restored ones as stored (their committed is NULL)."""
    if table == "audit_events":
        material, key = "e.id || ':' || e.hash", "e.id"
        committed, source = _committed("e", "at"), "audit_events e"
    elif table == "fees":
        material, key = "f.issuance_id || ':' || f.amount", "f.issuance_id"
        committed, source = _committed("f", "charged_at"), "fees f"
    elif table == "issuances":
        key = "i.id"
        if live:
            status = "CASE WHEN vd.t <= :upto THEN 'voided' ELSE 'valid' END"
            committed = "coalesce(ins.t, i.issued_at)"
            source = (
                f"issuances i LEFT JOIN ({_audit_times('issue', 'issued')}) ins "
                f"ON ins.issuance_id = i.id LEFT JOIN ({_audit_times('void', 'voided')}) vd "
                "ON vd.issuance_id = i.id"
            )
        else:
            status, committed, source = "i.status", "NULL::timestamptz", "issuances i"
        material = f"i.id || ':' || i.number || ':' || i.content_hash || ':' || {status}"
    else:
        raise ValueError(f"not a proved table: {table}")
    if not live:
        committed = "NULL::timestamptz"
    h = _HASH.format(material=material)
    return f"SELECT {key} AS key, {h} AS h, {committed} AS committed FROM {source}"


@dataclass
class SqlLedger:
    """A side of the comparison on a PostgreSQL database (`live`: the cluster)."""

    engine: Engine
    live: bool

    def check_ready(self) -> None:
        """Raises DrillError unless the database keeps commit timestamps."""
        with self.engine.connect() as conn:
            setting = conn.execute(text("SHOW track_commit_timestamp")).scalar()
        if setting != "on":
            raise DrillError(
                "dr.commit_ts",
                "운영 DB가 커밋 시각을 기록하지 않습니다 (track_commit_timestamp=off): "
                "어느 행이 복구 시각 전에 커밋됐는지 증명할 수 없습니다. 이 설정이 들어간 "
                "뒤 띄운 클러스터(`minwon cluster down` 후 `up`)에서, 실제 서버는 "
                "`patronictl edit-config`로 켜고 재시작하세요.",
            )

    def fingerprint(self, table: str, upto: datetime | None) -> Fingerprint:
        """Returns the count and hash sum of `table`'s rows (live: committed by `upto`)."""
        rows = rows_sql(table, live=self.live)
        if self.live:
            query = (
                "SELECT count(*) FILTER (WHERE committed <= :upto), "
                "coalesce(sum(h) FILTER (WHERE committed <= :upto), 0), "
                f"count(*) FILTER (WHERE committed > :upto) FROM ({rows}) s"
            )
        else:
            query = f"SELECT count(*), coalesce(sum(h), 0), 0 FROM ({rows}) s"
        with self.engine.connect() as conn:
            got = conn.execute(text(query), self._params(upto)).one()
        return Fingerprint(count=int(got[0]), digest=int(got[1]), later=int(got[2]))

    def rows(self, table: str, upto: datetime | None) -> dict[str, int]:
        """Returns each row's key and hash (live: committed by `upto`)."""
        rows = rows_sql(table, live=self.live)
        where = " WHERE committed <= :upto" if self.live else ""
        with self.engine.connect() as conn:
            found = conn.execute(text(f"SELECT key, h FROM ({rows}) s{where}"), self._params(upto))
            return {str(key): int(h) for key, h in found}

    def _params(self, upto: datetime | None) -> dict[str, object]:
        if self.live and upto is None:
            raise ValueError("the live side is read as of a time")
        return {"upto": upto} if self.live else {}
