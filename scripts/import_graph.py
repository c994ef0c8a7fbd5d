"""Prints which packages of ``src/minwon`` import which, and any import cycle between them.

A package is a top-level folder (``issuance``, ``adapters`` …) or a top-level module
(``bootstrap``, ``errors`` …). Every ``import`` counts, those under ``TYPE_CHECKING`` and
inside functions too: a cycle that only the type checker sees is still a cycle in the
design. ``python scripts/import_graph.py`` prints the edges and exits 1 on a cycle;
``--dot`` prints Graphviz instead; ``--root DIR`` reads another checkout's ``src/minwon``. ``tests/unit/test_import_graph.py`` runs the same code.
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


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, list[str]]]:
    """Yields (module named, names imported from it) for each import (relative resolved)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
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
            yield target, [alias.name for alias in node.names]


def package_of(module: str) -> str | None:
    """Returns the top-level part of ``minwon.x.y`` (``x``), or None outside the project."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Returns module → the project's modules it imports.

    ``from a import b`` imports the module ``a.b`` when there is one (the package ``a`` is
    only what holds it), else the names ``b`` defined in ``a``.
    """
    paths = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for module, path in paths.items():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for target, names in _imported(tree, module, path.name == "__init__.py"):
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in paths]
            names_in_target = len(submodules) < len(names) or not names
            found = submodules + ([target] if names_in_target else [])
            graph[module].update(m for m in found if m in paths and m != module)
    return graph


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Returns package → the other packages it imports."""
    known = {p.stem if p.is_file() else p.name for p in root.iterdir() if _is_part(p)}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module, targets in module_graph(root).items():
        source = package_of(module)
        if source is None:
            continue
        for name in targets:
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
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else ROOT
    graph = package_graph(root)
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
    found = cycles(graph) + cycles(module_graph(root))
    for group in found:
        print(f"cycle: {' <-> '.join(group)}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
