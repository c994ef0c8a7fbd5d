"""The packages of src/minwon import each other in one direction only.

A use case that imports a concrete adapter, a registry service that imports issuance, a
page that imports another page that imports it back: each makes a circle, and each circle
makes every package in it move together. The graph is read from the source (every import
counts, those under TYPE_CHECKING and inside functions too) by the same script an engineer
runs by hand: ``python scripts/import_graph.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "scripts/import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


graph = _script()


def test_no_two_packages_import_each_other_even_through_others() -> None:
    packages = graph.package_graph()
    assert {"issuance", "identity", "registry", "adapters", "web", "audit"} <= packages.keys()
    assert graph.cycles(packages) == []


def test_no_module_imports_itself_back_through_others() -> None:
    # web/pages/ among them: sessions, csrf and rendering once imported each other.
    assert graph.cycles(graph.module_graph()) == []


@pytest.mark.parametrize("context", ["issuance", "identity", "registry", "audit"])
def test_use_cases_depend_on_ports_not_on_adapters_or_the_web(context: str) -> None:
    reached = graph.package_graph()[context]
    assert not reached & {"adapters", "bootstrap", "web", "cli", "demo", "migrations"}


def test_pages_reach_storage_only_through_services() -> None:
    modules = graph.module_graph()
    pages = {m: t for m, t in modules.items() if m.startswith("minwon.web.")}
    for module, targets in pages.items():
        assert not {t for t in targets if t.startswith("minwon.adapters")}, module
    sources = (REPO / "src/minwon/web").rglob("*.py")
    for path in sources:
        text = path.read_text("utf-8")
        assert "sqlalchemy" not in text, path
        assert ".uows(" not in text and ".engine" not in text, path


def test_the_checker_finds_a_circle_when_there_is_one(tmp_path: Path) -> None:
    root = tmp_path / "minwon"
    for package, imports in {
        "issuance": "from minwon.adapters.store import Store\n",
        "adapters": "from minwon.issuance.model import Record\n",
        "catalog": "",
    }.items():
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        (root / package / "model.py").write_text(imports)
        (root / package / "store.py").write_text("")
    (root / "__init__.py").write_text("")
    found = graph.cycles(graph.package_graph(root))
    assert found == [["adapters", "issuance"]]


def test_a_type_checking_import_still_counts(tmp_path: Path) -> None:
    root = tmp_path / "minwon"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for part in ("", "a/", "b/"):
        (root / f"{part}__init__.py").write_text("")
    (root / "a" / "x.py").write_text("from minwon.b import y\n")
    (root / "b" / "y.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from minwon.a.x import Z\n"
    )
    assert graph.cycles(graph.package_graph(root)) == [["a", "b"]]


def test_no_module_grows_past_four_hundred_lines() -> None:
    # A module past that is a context asking to be split (operations/cluster/local.py was
    # 779 lines doing seven jobs); the next job gets a module of its own instead.
    sizes = {
        path.relative_to(REPO): len(path.read_text("utf-8").splitlines())
        for path in (REPO / "src/minwon").rglob("*.py")
    }
    assert {str(p): n for p, n in sizes.items() if n > 400} == {}
