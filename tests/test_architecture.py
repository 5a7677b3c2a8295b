"""The shape of the package: no import cycle, leaf modules that stay leaves.

Every import statement counts, at module level or inside functions, except
those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import classicmat

ROOT = Path(classicmat.__file__).parent

#: Low-level modules and the only modules of the package they may import.
LEAVES = {
    "classicmat._checks": set(),
    "classicmat._interrupt": set(),
    "classicmat._progress": set(),
    "classicmat._registry": set(),
    "classicmat._tasks": {"classicmat._warnings"},
    "classicmat._version": set(),
    "classicmat._warnings": set(),
    "classicmat._files": {"classicmat._interrupt"},
    "classicmat._options": {"classicmat._checks"},
    "classicmat._jit": {"classicmat._interrupt", "classicmat._version"},
    "classicmat._parallel": {"classicmat._interrupt"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The classicmat modules that ``path`` imports."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from . import _processing" imports the submodule; "from .io import
            # read_image" the module io
            submodules = [f"{prefix}.{alias.name}" for alias in node.names]
            submodules = [t for t in submodules if t in modules]
            targets = submodules or [prefix]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, modules) for name, path in paths.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    assert len(graph) > 40
    assert _cycles(graph) == []


def test_a_cycle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_leaf_modules_import_only_what_they_may(leaf):
    graph = _graph()
    assert graph[leaf] <= LEAVES[leaf], graph[leaf] - LEAVES[leaf]


def test_subpackages_of_the_command_line_are_not_imported_below_it():
    graph = _graph()
    below = [m for m in graph if not m.startswith(("classicmat.cli", "classicmat.__main__"))]
    assert not [m for m in below if any(t.startswith("classicmat.cli") for t in graph[m])]
