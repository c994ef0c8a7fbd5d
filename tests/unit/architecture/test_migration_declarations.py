"""Every migration says whether it expands or contracts the schema, and revisions are
sequential numbers in one line: a release compares them (migrate.is_ahead)."""

from __future__ import annotations

from minwon.adapters.migrate import packaged_revisions, pending, schema_usable
from minwon.adapters.schema_phases import PHASES


def test_every_revision_declares_expand_or_contract() -> None:
    undeclared = {r.revision: r.phase for r in packaged_revisions() if r.phase not in PHASES}
    assert undeclared == {}, "phase = 'expand' 또는 'contract'가 없는 마이그레이션"


def test_every_revision_has_a_one_line_reason() -> None:
    assert [r.revision for r in packaged_revisions() if not r.doc] == []


def test_revisions_are_sequential_numbers_in_one_line() -> None:
    known = packaged_revisions()
    assert [r.revision for r in known] == [f"{n:04d}" for n in range(1, len(known) + 1)]
    assert [r.down_revision for r in known] == [None, *(r.revision for r in known[:-1])]


def test_the_code_serves_on_its_head_and_on_a_newer_schema_but_not_an_older_one() -> None:
    known = packaged_revisions()
    head = known[-1].revision
    assert schema_usable(head)
    assert schema_usable(f"{int(head) + 1:04d}")  # a newer release expanded it
    assert not schema_usable(None)
    assert not schema_usable("unknown")
    behind = known[-2].revision
    assert schema_usable(behind) is (known[-1].phase == "contract")
    assert pending(behind, known) == [known[-1]]
    assert pending(None, known) == list(known)
    assert pending(f"{int(head) + 1:04d}", known) == []
