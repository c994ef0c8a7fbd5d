"""Expand and contract, checked on the schema itself rather than trusted from a label.

Every migration declares its phase (``phase = "expand"`` or ``"contract"``). An *expand*
revision must leave the previous release working on the schema it makes: it may add
tables, nullable columns, columns with a server default, plain indexes; it must not drop
or rename anything (a rename reflects as a drop and an add), make a nullable column NOT
NULL without a server default, add a NOT NULL column without one to a table that exists
(the previous release's inserts leave it out), narrow a type, drop a NOT NULL column's
server default, or add a constraint over columns the previous release already writes.
A *contract* revision may do all of that; it runs only once no older release serves.

``reflect`` reads a live schema with SQLAlchemy's inspector into plain data;
``violations`` compares two of them; ``check_migrations`` upgrades a database revision by
revision and reports every expand revision that broke the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

EXPAND = "expand"
CONTRACT = "contract"
PHASES = (EXPAND, CONTRACT)
_IGNORED_TABLES = {"alembic_version"}


@dataclass(frozen=True)
class ColumnShape:
    """A column as the database reports it: its type, nullability, server default."""

    type: sa.types.TypeEngine[Any]
    nullable: bool
    has_default: bool


@dataclass(frozen=True)
class TableShape:
    """A table's columns and everything that can reject a row or speed a query."""

    columns: dict[str, ColumnShape]
    primary_key: tuple[str, ...]
    indexes: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)


Schema = dict[str, TableShape]


@dataclass(frozen=True)
class Violation:
    """One change an expand revision must not make: a stable code and a Korean sentence."""

    code: str
    table: str
    name: str
    message: str
    revision: str = ""

    def __str__(self) -> str:
        where = f"{self.revision}: " if self.revision else ""
        return f"{where}{self.message} ({self.code})"


def _key(name: str | None, columns: Iterable[str | None], *extra: str | None) -> str:
    """A constraint's name, or its contents when the database keeps no name (SQLite)."""
    return name or "(" + ",".join(str(c) for c in (*columns, *extra)) + ")"


def reflect(engine: Engine) -> Schema:
    """Returns every table of the database (Alembic's own left out) as plain data."""
    schema: Schema = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in sorted(set(inspector.get_table_names()) - _IGNORED_TABLES):
            columns = {
                c["name"]: ColumnShape(c["type"], bool(c["nullable"]), c.get("default") is not None)
                for c in inspector.get_columns(table)
            }
            pk = inspector.get_pk_constraint(table)
            indexes = {
                _key(i["name"], i["column_names"]): (
                    tuple(str(c) for c in i["column_names"]),
                    bool(i["unique"]),
                )
                for i in inspector.get_indexes(table)
                if not i.get("duplicates_constraint")
            }
            uniques = {
                _key(u["name"], u["column_names"]): tuple(u["column_names"])
                for u in inspector.get_unique_constraints(table)
            }
            foreign_keys = {
                _key(f["name"], f["constrained_columns"], f["referred_table"]): tuple(
                    f["constrained_columns"]
                )
                for f in inspector.get_foreign_keys(table)
            }
            checks: dict[str, tuple[str, ...]] = {
                _key(c["name"], [c["sqltext"]]): (str(c["sqltext"]),)
                for c in inspector.get_check_constraints(table)
            }
            schema[table] = TableShape(
                columns,
                tuple(pk.get("constrained_columns") or ()),
                indexes,
                uniques,
                foreign_keys,
                checks,
            )
    return schema


def narrowed(before: sa.types.TypeEngine[Any], after: sa.types.TypeEngine[Any]) -> bool:
    """True unless `after` holds every value `before` did: the same type, a longer or
    unbounded string, a wider integer or a wider decimal. Any other change counts."""
    if isinstance(before, sa.String) and isinstance(after, sa.String):
        if after.length is None:
            return False
        return before.length is None or after.length < before.length
    if isinstance(before, sa.Integer) and isinstance(after, sa.Integer):
        return _integer_rank(after) < _integer_rank(before)
    if isinstance(before, sa.Numeric) and isinstance(after, sa.Numeric):
        if type(before) is not type(after):
            return True
        wider = (after.precision or 0) >= (before.precision or 0)
        return not (wider and (after.scale or 0) >= (before.scale or 0))
    return _type_name(before) != _type_name(after)


def _integer_rank(kind: sa.types.TypeEngine[Any]) -> int:
    if isinstance(kind, sa.SmallInteger):
        return 1
    return 3 if isinstance(kind, sa.BigInteger) else 2


def _type_name(kind: sa.types.TypeEngine[Any]) -> str:
    try:
        return type(kind).__name__ + "/" + kind.compile()
    except Exception:  # a type the default dialect cannot print
        return type(kind).__name__


def violations(before: Schema, after: Schema) -> list[Violation]:
    """Returns what the change from `before` to `after` would break for the release that
    runs on `before` (empty when it is a valid expand)."""
    found: list[Violation] = []
    for table, old in before.items():
        new = after.get(table)
        if new is None:
            found.append(
                Violation(
                    "table.dropped",
                    table,
                    table,
                    f"표 {table}이(가) 없어지거나 이름이 바뀌었습니다",
                )
            )
            continue
        found += _column_changes(table, old, new)
        found += _constraint_changes(table, old, new)
    return found


def _column_changes(table: str, old: TableShape, new: TableShape) -> list[Violation]:
    found: list[Violation] = []
    for name, was in old.columns.items():
        now = new.columns.get(name)
        where = f"{table}.{name}"
        if now is None:
            found.append(
                Violation(
                    "column.dropped",
                    table,
                    name,
                    f"열 {where}이(가) 없어지거나 이름이 바뀌었습니다",
                )
            )
            continue
        if was.nullable and not now.nullable and not now.has_default:
            found.append(
                Violation(
                    "column.not_null",
                    table,
                    name,
                    f"열 {where}이(가) 기본값 없이 NOT NULL이 됐습니다",
                )
            )
        if narrowed(was.type, now.type):
            found.append(
                Violation(
                    "column.narrowed",
                    table,
                    name,
                    f"열 {where}의 형식이 {_type_name(was.type)}에서 {_type_name(now.type)}(으)로 "
                    "좁아지거나 바뀌었습니다",
                )
            )
        if not now.nullable and was.has_default and not now.has_default:
            found.append(
                Violation(
                    "column.default_dropped",
                    table,
                    name,
                    f"NOT NULL 열 {where}의 기본값이 없어졌습니다",
                )
            )
    for name, now in new.columns.items():
        if name not in old.columns and not now.nullable and not now.has_default:
            found.append(
                Violation(
                    "column.required",
                    table,
                    name,
                    f"있던 표 {table}에 기본값 없는 NOT NULL 열 {name}이(가) 생겼습니다 "
                    "(이전 버전의 INSERT가 실패합니다)",
                )
            )
    return found


def _constraint_changes(table: str, old: TableShape, new: TableShape) -> list[Violation]:
    found: list[Violation] = []
    if old.primary_key != new.primary_key:
        found.append(
            Violation("primary_key.changed", table, table, f"표 {table}의 기본 키가 바뀌었습니다")
        )
    kinds: list[tuple[str, str, Callable[[TableShape], dict[str, tuple[object, ...]]]]] = [
        ("index", "인덱스", lambda s: dict(s.indexes)),
        ("unique", "유일 제약", lambda s: dict(s.uniques)),
        ("foreign_key", "외래 키", lambda s: dict(s.foreign_keys)),
        ("check", "검사 제약", lambda s: dict(s.checks)),
    ]
    for code, label, read in kinds:
        was, now = read(old), read(new)
        for name in sorted(was.keys() - now.keys()):
            found.append(
                Violation(
                    f"{code}.dropped", table, name, f"{table}의 {label} {name}이(가) 없어졌습니다"
                )
            )
        for name in sorted(now.keys() - was.keys()):
            columns = _columns_of(code, now[name])
            if code == "index" and not now[name][1]:
                continue  # a plain index rejects no row
            if code == "check" or (columns and all(c in old.columns for c in columns)):
                found.append(
                    Violation(
                        f"{code}.added",
                        table,
                        name,
                        f"{table}의 있던 열에 {label} {name}이(가) 생겼습니다 "
                        "(이전 버전이 쓰는 행을 거부할 수 있습니다)",
                    )
                )
    return found


def _columns_of(code: str, shape: tuple[object, ...]) -> tuple[str, ...]:
    if code == "index":
        columns = shape[0]
        assert isinstance(columns, tuple)
        return tuple(str(c) for c in columns)
    if code == "check":
        return ()  # a check's columns are not reflected: any new one may reject old rows
    return tuple(str(c) for c in shape)


def check_migrations(
    engine: Engine, steps: Iterable[tuple[str, str | None]], upgrade: Callable[[str], None]
) -> list[Violation]:
    """Upgrades the database behind `engine` one revision at a time (`steps`: revision and
    declared phase, oldest first; `upgrade` applies one) and returns every violation of an
    expand revision, and every revision whose phase is missing or unknown."""
    found: list[Violation] = []
    before = reflect(engine)
    for revision, phase in steps:
        upgrade(revision)
        after = reflect(engine)
        if phase not in PHASES:
            found.append(
                Violation(
                    "phase.missing",
                    "",
                    revision,
                    f"마이그레이션 {revision}에 phase(expand 또는 contract)가 없습니다",
                    revision,
                )
            )
        elif phase == EXPAND:
            found += [
                Violation(v.code, v.table, v.name, v.message, revision)
                for v in violations(before, after)
            ]
        before = after
    return found
