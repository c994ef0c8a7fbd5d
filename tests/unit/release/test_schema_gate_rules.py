"""The schema gate's decisions, without builds or a database: a rollout is never stopped by
a pending contract revision (it is not applied then); applying one is refused while a
serving build does not ship it; expand revisions never are."""

from __future__ import annotations

from minwon.operations.release.schema import (
    Pending,
    SchemaStatus,
    blocked,
    contract_refusal,
    refusal_reason,
)

OLD = {"0.1.0+old": {"0001", "0002"}}


def _status(*pending: tuple[str, str | None]) -> SchemaStatus:
    return SchemaStatus("0002", pending[-1][0], [Pending(r, p) for r, p in pending])


def test_applying_a_contract_while_an_older_build_serves_is_refused_naming_both() -> None:
    status = _status(("0003", "expand"), ("0004", "contract"))
    reason = contract_refusal("0.1.0+new", status, OLD)
    assert reason is not None
    assert "0004" in reason and "0.1.0+old" in reason and "0003" not in reason
    assert refusal_reason("0.1.0+new", status) is None  # the rollout itself may go on


def test_only_expand_pending_is_allowed_whatever_serves() -> None:
    status = _status(("0003", "expand"), ("0004", "expand"))
    assert refusal_reason("0.1.0+new", status) is None
    assert contract_refusal("0.1.0+new", status, OLD) is None


def test_a_contract_is_allowed_once_every_serving_build_ships_it() -> None:
    status = _status(("0003", "contract"))
    assert contract_refusal("0.1.0+new", status, {"0.1.0+new": {"0001"}}) is None  # itself
    assert contract_refusal("0.1.0+new", status, {"0.1.0+newer": {"0002", "0003"}}) is None
    assert contract_refusal("0.1.0+new", status, {}) is None


def test_an_expand_behind_a_contract_waits_for_the_contract() -> None:
    status = _status(("0003", "contract"), ("0004", "expand"))
    reason = refusal_reason("0.1.0+new", status)
    assert reason is not None and "0004" in reason and "0003" in reason
    assert status.expands_before_contract() == []


def test_a_revision_without_a_phase_is_refused() -> None:
    reason = refusal_reason("0.1.0+new", _status(("0003", None)))
    assert reason is not None and "0003" in reason


def test_blocked_names_each_contract_and_the_builds_that_do_not_ship_it() -> None:
    contracts = [Pending("0003", "contract"), Pending("0004", "contract")]
    knowledge = {"a": {"0003"}, "b": set[str]()}
    assert blocked(contracts, knowledge) == {"0003": ["b"], "0004": ["a", "b"]}
    assert SchemaStatus.from_json(
        {"current": None, "head": "0001", "pending": [{"revision": "0001", "phase": "expand"}]}
    ) == SchemaStatus(None, "0001", [Pending("0001", "expand")])
