"""The layers' import rules, read from the source with ``ast`` (nothing is imported but ``analytics``).

panel reads the event store only through the ``analytics`` facade: ``from analytics import name`` with a
name of ``analytics.__all__``; ``analytics.config``, ``analytics.datadir``, ``analytics.logs`` and
``analytics.metrics`` (process settings and instrumentation, not the event store) are the exceptions.
No module of ``analytics/`` or of ``ingest/`` imports itself back through others, counting imports
inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Set
from pathlib import Path

import pytest

import analytics

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULES = frozenset({"analytics.config", "analytics.datadir", "analytics.logs", "analytics.metrics"})


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (functions, ``if TYPE_CHECKING:``, ...), in line order."""
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def _past_facade(module: str) -> bool:
    return module == "analytics" or (module.startswith("analytics.") and module not in SETTINGS_MODULES)


def facade_violations(source: str, facade: Set[str]) -> list[str]:
    """The imports of ``source`` (a panel module) that go past the facade, as ``line: what``."""
    found = []
    for node in _imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if _past_facade(a.name)]
        elif node.level == 0 and node.module == "analytics":
            for alias in node.names:
                if alias.name not in facade and f"analytics.{alias.name}" not in SETTINGS_MODULES:
                    found.append(f"{node.lineno}: from analytics import {alias.name} (not in __all__)")
        elif node.level == 0 and node.module and _past_facade(node.module):
            found.append(f"{node.lineno}: from {node.module} import ...")
    return found


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (under ``root``) by dotted name; a package's is its ``__init__``'s."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Which modules of ``package`` each of its modules imports, anywhere in its body.

    ``import a.b`` is an edge to ``a.b``; ``from a import b`` to ``a.b`` when that is a module, else to
    ``a``; relative imports are resolved. The parent packages Python initialises on the way are not
    edges (every submodule would otherwise be in a cycle with a package ``__init__`` importing it).
    """
    modules = module_names(root, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t for t in submodules if t in modules]
                if len(targets) < len(submodules):
                    targets.append(base)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph: Mapping[str, Set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None: a depth-first search for an edge back to a module
    still on the path."""
    on_path: list[str] = []
    state: dict[str, str] = {}  # "open" while on the path, "done" once all it reaches is explored

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        on_path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*on_path[on_path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        on_path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_every_name_of_the_facade_is_there() -> None:
    missing = [name for name in analytics.__all__ if not hasattr(analytics, name)]
    assert not missing
    assert len(set(analytics.__all__)) == len(analytics.__all__)


def test_panel_reads_the_event_store_only_through_the_facade() -> None:
    facade = frozenset(analytics.__all__)
    found = [
        f"{path.relative_to(ROOT)}:{where}"
        for path in sorted((ROOT / "panel").rglob("*.py"))
        for where in facade_violations(path.read_text(), facade)
    ]
    assert not found, "panel imports analytics past its facade:\n" + "\n".join(found)


def test_the_facade_check_catches_each_way_past_it() -> None:
    source = (
        "from analytics import Query, run_query\n"
        "from analytics.config import data_dir\n"
        "from analytics import datadir\n"
        "from analytics.query import MAX_LIMIT\n"
        "from analytics import goals as analytics_goals\n"
        "import analytics.client\n"
        "def late():\n"
        "    from analytics.export import totals\n"
    )
    assert facade_violations(source, {"Query", "run_query"}) == [
        "4: from analytics.query import ...",
        "5: from analytics import goals (not in __all__)",
        "6: import analytics.client",
        "8: from analytics.export import ...",
    ]


@pytest.mark.parametrize("package", ["analytics", "ingest"])
def test_no_import_cycle(package: str) -> None:
    graph = import_graph(ROOT, package)
    assert len(graph) > 10  # the package's modules were all read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None  # a diamond
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"b"}}) == ["b", "c", "b"]
    assert find_cycle({"x": {"x"}}) == ["x", "x"]


def test_the_graph_counts_imports_in_functions_and_of_submodules(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from pkg.a import A\n",
        "a.py": "from pkg import b\nA = 1\n",
        "b.py": "import os\ndef f():\n    import pkg.sub.c\n",
        "sub/__init__.py": "",
        "sub/c.py": "from .. import a\nfrom . import d\nfrom pkg import A\n",
        "sub/d.py": "",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph(tmp_path, "pkg")
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.sub.c"},
        "pkg.sub": set(),
        "pkg.sub.c": {"pkg.a", "pkg.sub.d", "pkg"},
        "pkg.sub.d": set(),
    }
    assert find_cycle(graph) == ["pkg", "pkg.a", "pkg.b", "pkg.sub.c", "pkg"]
