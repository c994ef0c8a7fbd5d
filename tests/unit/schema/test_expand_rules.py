"""What an expand revision may change, on two schemas reflected from SQLite: adding is
fine; dropping, renaming, tightening or narrowing is what only a contract may do."""

from __future__ import annotations

import sqlalchemy as sa

from minwon.adapters.schema_phases import Schema, narrowed, reflect, violations


def _schema(*tables: tuple[str, list[sa.Column[object] | sa.Index | sa.Constraint]]) -> Schema:
    metadata = sa.MetaData()
    for name, items in tables:
        sa.Table(name, metadata, *items)
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    try:
        return reflect(engine)
    finally:
        engine.dispose()


def _base(*extra: sa.Column[object] | sa.Index | sa.Constraint) -> Schema:
    return _schema(
        (
            "docs",
            [
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("title", sa.String(40), nullable=False),
                sa.Column("note", sa.String(200), nullable=True),
                sa.Column("pages", sa.Integer, nullable=False, server_default="1"),
                sa.Index("ix_docs_title", "title"),
                *extra,
            ],
        ),
        ("old", [sa.Column("id", sa.Integer, primary_key=True)]),
    )


def _codes(before: Schema, after: Schema) -> set[str]:
    return {f"{v.code}:{v.name}" for v in violations(before, after)}


def test_adding_tables_nullable_columns_defaults_and_plain_indexes_is_an_expand() -> None:
    after = _schema(
        (
            "docs",
            [
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("title", sa.String(80), nullable=False),  # wider
                sa.Column("note", sa.Text, nullable=True),  # wider
                sa.Column("pages", sa.BigInteger, nullable=False, server_default="1"),
                sa.Column("extra", sa.String(10), nullable=True),
                sa.Column("probe", sa.Boolean, nullable=False, server_default=sa.false()),
                sa.Index("ix_docs_title", "title"),
                sa.Index("ix_docs_note", "note"),
            ],
        ),
        ("old", [sa.Column("id", sa.Integer, primary_key=True)]),
        ("new", [sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Text)]),
    )
    assert violations(_base(), after) == []


def test_drops_and_renames_are_contract_only() -> None:
    after = _schema(
        (
            "docs",
            [
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("headline", sa.String(40), nullable=True),  # renamed from title
                sa.Column("note", sa.String(200), nullable=True),
                sa.Column("pages", sa.Integer, nullable=False, server_default="1"),
            ],
        )
    )
    assert _codes(_base(), after) == {
        "table.dropped:old",
        "column.dropped:title",
        "index.dropped:ix_docs_title",
    }


def test_tightening_narrowing_and_new_required_columns_are_contract_only() -> None:
    after = _schema(
        (
            "docs",
            [
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("title", sa.String(20), nullable=False),  # narrower
                sa.Column("note", sa.String(200), nullable=False),  # now required
                sa.Column("pages", sa.Integer, nullable=False),  # default dropped
                sa.Column("owner", sa.String(10), nullable=False),  # new, required
                sa.Index("ix_docs_title", "title"),
                sa.UniqueConstraint("note", name="uq_docs_note"),
            ],
        ),
        ("old", [sa.Column("id", sa.Integer, primary_key=True)]),
    )
    assert _codes(_base(), after) == {
        "column.narrowed:title",
        "column.not_null:note",
        "column.default_dropped:pages",
        "column.required:owner",
        "unique.added:uq_docs_note",
    }


def test_type_changes_count_as_narrowing_unless_known_to_widen() -> None:
    assert not narrowed(sa.String(10), sa.String(20))
    assert not narrowed(sa.String(10), sa.Text())
    assert narrowed(sa.Text(), sa.String(10))
    assert not narrowed(sa.Integer(), sa.BigInteger())
    assert narrowed(sa.BigInteger(), sa.Integer())
    assert narrowed(sa.String(10), sa.Integer())
    assert not narrowed(sa.Numeric(10, 2), sa.Numeric(12, 2))
    assert narrowed(sa.Numeric(10, 2), sa.Numeric(10, 0))
    assert not narrowed(sa.Boolean(), sa.Boolean())
