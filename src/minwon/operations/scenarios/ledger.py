"""The app's tables read straight from one PostgreSQL member: what a scenario checks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

CHUNK = 500  # numbers per IN (...) query


def _wall(value: datetime) -> float:
    """Returns a stored time as wall seconds (a naive one is UTC, as the app writes it)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


# Written only on a member that should refuse it (a woken old primary), never the leader.
PROBE = "minwon_scenario_probe"


class SqlLedger:
    """Reads issuances and fees on the member a URL points at (``member_url``)."""

    def audit(self, url: str, numbers: Sequence[str]) -> tuple[int, int]:
        """Returns (acknowledged numbers missing, issuances or fees written twice)."""
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                found: set[str] = set()
                query = text("SELECT number FROM issuances WHERE number IN :n").bindparams(
                    bindparam("n", expanding=True)
                )
                for i in range(0, len(numbers), CHUNK):
                    chunk = list(numbers[i : i + CHUNK])
                    found.update(r[0] for r in conn.execute(query, {"n": chunk}))
                duplicated = conn.execute(
                    text(
                        "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM issuances"
                        " GROUP BY request_ref HAVING COUNT(*) > 1) AS d"
                    )
                ).scalar_one()
                extra_fees = conn.execute(
                    text(
                        "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM fees"
                        " GROUP BY issuance_id HAVING COUNT(*) > 1) AS f"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        return len(set(numbers) - found), int(duplicated) + int(extra_fees)

    def issued_times(self, url: str, numbers: Sequence[str]) -> list[float]:
        """Returns the ``issued_at`` of each of `numbers` found there (wall seconds)."""
        engine = create_engine(url)
        query = text("SELECT issued_at FROM issuances WHERE number IN :n").bindparams(
            bindparam("n", expanding=True)
        )
        times: list[float] = []
        try:
            with engine.connect() as conn:
                for i in range(0, len(numbers), CHUNK):
                    chunk = list(numbers[i : i + CHUNK])
                    times += [_wall(r[0]) for r in conn.execute(query, {"n": chunk})]
        finally:
            engine.dispose()
        return sorted(times)

    def is_primary(self, url: str) -> bool | None:
        """Returns True if the member takes writes, False if in recovery, None if down."""
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:
                return not conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
        except SQLAlchemyError:
            return None
        finally:
            engine.dispose()

    def acknowledges_commit(self, url: str, wait: float) -> bool:
        """Returns True if one commit sent to that member returns within `wait` seconds.

        The commit writes a row (WAL), so it waits for the synchronous standbys as an
        issuance's does; a transaction that only takes a transaction id writes no WAL
        before its commit record and PostgreSQL returns it without waiting. One still
        waiting is left in its thread, never cancelled (a cancelled wait would report a
        commit that no standby holds).
        """
        ended: list[bool] = []

        def attempt() -> None:
            engine = create_engine(url, connect_args={"connect_timeout": 2})
            try:
                with engine.connect() as conn:
                    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {PROBE} (at timestamptz)"))
                    conn.execute(text(f"INSERT INTO {PROBE} VALUES (clock_timestamp())"))
                    conn.commit()
                    ended.append(True)
            except SQLAlchemyError:
                ended.append(False)
            finally:
                engine.dispose()

        thread = threading.Thread(target=attempt, name="commit-probe", daemon=True)
        thread.start()
        thread.join(wait)
        return bool(ended and ended[0])
