"""The per-minute traffic of each app instance and channel, on the same metadata as
adapters/tables.py (kept apart so neither grows past its size; migrations/env.py imports it)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table

from minwon.adapters.tables import TS, metadata

# One row per app instance, channel and minute (operations/availability/traffic.py): the
# requests answered (ok) or failed, the documents issued, and a latency histogram as a
# JSON list of bucket counts. Rewritten whole for its minute; never summed on write.
traffic_minutes = Table(
    "traffic_minutes",
    metadata,
    Column("instance", String(64), primary_key=True),
    Column("minute", TS, primary_key=True, index=True),
    Column("channel", String(16), primary_key=True),
    Column("ok", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("issued", Integer, nullable=False),
    Column("latency", JSON, nullable=False),
)
