"""The layout holds: imports only point down the layers, no import cycles, no huge modules.

The layers (DESIGN.md, README "Architecture"), lowest first; a package may import those
on its left only:

    lurewatch < index < classifiers < crawlers < monitor < review_ui

Read from the source with ``ast``, so an import inside a function counts as much as one
at the top of a module (it is a dependency all the same); cycles are looked for among
module-level imports, the ones that run when a module is loaded.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

LAYERS = ("lurewatch", "index", "classifiers", "crawlers", "monitor", "review_ui")
MAX_LINES = 600


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    at_module_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {_module_name(path): path for layer in LAYERS
            for path in sorted((REPO_ROOT / layer).rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from a.b import c" imports a.b, and a.b.c when c is a module
            targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.append(Import(name, target, node.lineno, id(node) in top_level))
    return found


def all_imports() -> list[Import]:
    modules = project_modules()
    known = set(modules)
    return [found for name, path in modules.items() for found in _imports(name, path, known)]


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_imports_only_point_down_the_layers() -> None:
    upward = [f"{i.importer}:{i.line} imports {i.imported}" for i in all_imports()
              if _layer(i.imported) > _layer(i.importer)]
    assert upward == []


def test_no_module_level_import_cycle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for found in all_imports():
        if found.at_module_level:
            graph[found.importer].add(found.imported)
    cycles = _strongly_connected(graph)
    assert cycles == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]


def test_no_module_outside_tests_and_data_is_over_600_lines() -> None:
    roots = [*(REPO_ROOT / layer for layer in LAYERS), REPO_ROOT / "benchmarks"]
    too_long = {str(path.relative_to(REPO_ROOT)): lines for root in roots
                for path in root.rglob("*.py")
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}


def _packages_imported(path: Path) -> set[str]:
    """The top-level package of everything ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_test_tooling_stays_out_of_the_runtime_packages() -> None:
    assert [name for name, path in project_modules().items()
            if "pytest" in _packages_imported(path)] == []


def test_the_storage_layer_knows_nothing_of_crawling_or_models() -> None:
    foreign = {"scrapy", "torch", "transformers", "onnxruntime", "tokenizers", "spacy"}
    assert {name: sorted(_packages_imported(path) & foreign)
            for name, path in project_modules().items()
            if name.split(".")[0] in ("lurewatch", "index")
            and _packages_imported(path) & foreign} == {}
