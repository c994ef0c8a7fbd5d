"""Process references and the table of process kinds: parsed once, typed after."""

from __future__ import annotations

import pytest

from minwon.operations.cluster.errors import UnknownProcessError
from minwon.operations.cluster.faults import ProcessKind, ProcessRef, patroni, postmaster
from minwon.operations.cluster.kinds import KINDS, START_ORDER, STOP_ORDER


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("postgres:pg1", ProcessKind.POSTGRES, "pg1"),
        ("patroni:pg2", ProcessKind.PATRONI, "pg2"),
        ("etcd:e3", ProcessKind.ETCD, "e3"),
        ("haproxy:1", ProcessKind.HAPROXY, "1"),
        (" app:2 ", ProcessKind.APP, "2"),
    ],
)
def test_kind_colon_name_is_parsed_into_a_typed_reference(
    text: str, kind: ProcessKind, name: str
) -> None:
    ref = ProcessRef.parse(text)
    assert ref == ProcessRef(kind, name)
    assert str(ref) == text.strip()


@pytest.mark.parametrize("text", ["", "postgres", "postgres:", "mysql:m1", "pg1", ":pg1"])
def test_anything_else_is_refused_with_examples(text: str) -> None:
    with pytest.raises(UnknownProcessError, match="postgres:pg1"):
        ProcessRef.parse(text)


def test_references_are_values_usable_as_keys() -> None:
    assert postmaster("pg1") == ProcessRef.parse("postgres:pg1")
    assert {patroni("pg1"): 1}[ProcessRef(ProcessKind.PATRONI, "pg1")] == 1


def test_every_kind_has_one_row_and_postgres_is_started_by_patroni() -> None:
    assert set(KINDS) == set(ProcessKind)
    assert all(row.kind is kind for kind, row in KINDS.items())
    postgres = KINDS[ProcessKind.POSTGRES]
    assert postgres.command is None and postgres.started_by is ProcessKind.PATRONI
    assert postgres.find_pid is not None
    for kind in START_ORDER:
        row = KINDS[kind]
        assert row.command is not None and row.readiness is not None and row.stop is not None


def test_etcd_starts_first_and_stops_last_apps_the_other_way_round() -> None:
    assert START_ORDER[0] is ProcessKind.ETCD and START_ORDER[-2:] == (
        ProcessKind.APP,
        ProcessKind.WATCH,
    )
    assert tuple(reversed(STOP_ORDER)) == START_ORDER
    assert ProcessKind.POSTGRES not in START_ORDER
