"""Incidents and the operators' notes on them, on the same metadata as adapters/tables.py
(kept apart so neither module grows past its size; migrations/env.py imports it)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, String, Table, Text

from minwon.adapters.tables import TS, metadata

# One row per fault the watcher saw (``minwon ops watch``, operations/incidents/): where,
# the cause class and detail, when it started, ended (its cause cleared) and settled
# (every symptom cleared), and the issuance gap measured from the apps' counters. Rows
# are upserted as the incident changes; ``updated_at`` orders versions of one incident.
incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("component", String(80), nullable=False),
    Column("cause", String(40), nullable=False),
    Column("cause_detail", Text, nullable=False),
    Column("symptom", Text, nullable=False),
    Column("started_at", TS, nullable=False, index=True),
    Column("ended_at", TS, nullable=True),
    Column("settled_at", TS, nullable=True),
    Column("duration_seconds", Float, nullable=True),
    Column("issuance_gap_seconds", Float, nullable=True),
    Column("also", JSON, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# What an operator wrote about an incident (root cause, prevention, comment): who, when.
incident_notes = Table(
    "incident_notes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("incident_id", String(32), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("author", String(80), nullable=False),
    Column("at", TS, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
)
