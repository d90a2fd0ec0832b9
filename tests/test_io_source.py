"""The genotype contract's home (:mod:`gwaskit.io.source`) and the import graph without circles."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


@functools.cache
def _import_graph() -> dict[str, set[str]]:
    """Module -> gwaskit modules it imports (anywhere in its body: a function-level import
    closes a circle as well as a top-level one)."""
    modules = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        tree = ast.parse(path.read_text())
        typing_only = {  # imports under `if TYPE_CHECKING:` are for annotations, never run
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
            for stmt in node.body
            for child in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_import_graph__no_circle():
    graph = _import_graph()
    assert len(graph) > 100  # the whole package was read
    assert _cycles(graph) == []


def test_cycles__finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_readers__import_the_contract_not_open_genotypes():
    graph = _import_graph()
    readers = ["plink1", "plink2", "vcf", "bgen", "oxford", "packed"]
    for reader in readers:
        assert "gwaskit.io.genotypes" not in graph[f"gwaskit.io.{reader}"], reader
        assert "gwaskit.io.source" in graph[f"gwaskit.io.{reader}"], reader


def test_genotype_source__reexported_and_each_module_imports_alone():
    from gwaskit.io import genotypes, source

    assert genotypes.GenotypeSource is source.GenotypeSource
    # a reader imported first, in a fresh interpreter: the order the old circle broke on
    for module in ("plink1", "bgen"):
        done = subprocess.run(
            [sys.executable, "-c", f"import gwaskit.io.{module}"],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(SRC)},
        )
        assert done.returncode == 0, (module, done.stderr)
