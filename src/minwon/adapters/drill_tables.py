"""The record of recovery drills, on the same metadata as adapters/tables.py (kept apart so
neither module grows past its size; migrations/env.py imports both)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, String, Table, Text

from minwon.adapters.tables import TS, metadata

# One row per ``minwon dr drill`` (operations/backup/drill.py): the point in time asked
# for, the backup restored, how long restore, replay and proof took, and the verdict. The
# row is written when the drill starts (outcome "running"), so a drill that dies midway
# still shows; ``finished_at`` and the figures come at its end.
recovery_drills = Table(
    "recovery_drills",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("started_at", TS, nullable=False, index=True),
    Column("finished_at", TS, nullable=True),
    Column("target", TS, nullable=False),
    Column("backup_label", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),  # running | passed | failed
    Column("code", String(80), nullable=False),
    Column("detail", Text, nullable=False),
    Column("restore_seconds", Float, nullable=True),
    Column("replay_seconds", Float, nullable=True),
    Column("prove_seconds", Float, nullable=True),
    Column("total_seconds", Float, nullable=True),
    Column("counts", JSON, nullable=False),
)
