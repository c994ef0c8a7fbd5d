"""Prints which packages of ``src/minwon`` import which, and any import cycle between them.

A package is a top-level folder (``issuance``, ``adapters`` …) or a top-level module
(``bootstrap``, ``errors`` …). Every ``import`` counts, those under ``TYPE_CHECKING`` and
inside functions too: a cycle that only the type checker sees is still a cycle in the
design. ``python scripts/import_graph.py`` prints the edges and exits 1 on a cycle;
``--dot`` prints Graphviz instead. ``tests/unit/test_import_graph.py`` runs the same code.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "minwon"
PACKAGE = "minwon"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Yields the absolute names a module imports (relative imports resolved)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            yield target
            for alias in node.names:  # ``from minwon import errors`` names a module
                yield f"{target}.{alias.name}"


def package_of(module: str) -> str | None:
    """Returns the top-level part of ``minwon.x.y`` (``x``), or None outside the project."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Returns package → the other packages it imports."""
    known = {p.stem if p.is_file() else p.name for p in root.iterdir() if _is_part(p)}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        source = package_of(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for name in _imported(tree, module, path.name == "__init__.py"):
            target = package_of(name)
            if target is not None and target != source and target in known:
                graph[source].add(target)
    return graph


def _is_part(path: Path) -> bool:
    if path.name.startswith(("_", ".")):
        return False
    if path.is_dir():
        return (path / "__init__.py").exists()
    return path.suffix == ".py"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Returns the strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """Returns packages in layers: each imports only packages of earlier layers."""
    remaining = {k: set(v) for k, v in graph.items()}
    result: list[list[str]] = []
    while remaining:
        ready = sorted(k for k, v in remaining.items() if not v & remaining.keys())
        if not ready:  # a cycle: the rest cannot be layered
            result.append(sorted(remaining))
            break
        result.append(ready)
        for k in ready:
            del remaining[k]
    return result


def main(argv: list[str]) -> int:
    graph = package_graph()
    if "--dot" in argv:
        print("digraph minwon {")
        for source in sorted(graph):
            for target in sorted(graph[source]):
                print(f'  "{source}" -> "{target}";')
        print("}")
    else:
        for source in sorted(graph):
            targets = ", ".join(sorted(graph[source])) or "-"
            print(f"{source:<15} -> {targets}")
        print()
        for n, layer in enumerate(layers(graph)):
            print(f"layer {n}: {' '.join(layer)}")
    found = cycles(graph)
    for group in found:
        print(f"cycle: {' <-> '.join(group)}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
