"""Every package hides its implementation: its modules are private and other packages import
only its surface (issue 19).

A package's ``__init__`` exports what other code may use (pinned in
``tests/test_public_surface.py``); the modules behind it start with an underscore, except
``events`` (the typed entries a package writes, registered by type and version). Code in one
package never imports a module of another: ``from socialcredit.ledger import Entry``, never
``from socialcredit.ledger._entries import Entry``. Tests may reach into a package's private
modules to test them; the library may not.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import grimp
import pytest

import socialcredit

ROOT = Path(socialcredit.__file__).parent
PUBLIC_MODULES = frozenset({"events"})
PACKAGES = sorted(m.name for m in pkgutil.iter_modules(socialcredit.__path__) if m.ispkg)


def absolute(module: Path, node: ast.ImportFrom) -> str | None:
    """The absolute module a ``from … import`` in ``module`` (a file under ``ROOT``) names."""
    if node.level == 0:
        return node.module
    parts = ["socialcredit", *module.relative_to(ROOT).with_suffix("").parts[:-1]]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def reaches_into(module: Path, source: str) -> list[str]:
    """The imports in ``source`` (the text of ``module``) of another package's modules."""
    home = module.relative_to(ROOT).parts[0] if module.parent != ROOT else None
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            target = absolute(module, node) or ""
            deep = target.count(".") >= 2
            names = [target] if deep else [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if len(parts) < 3 or parts[0] != "socialcredit" or parts[1] == home:
                continue
            if parts[1] in PACKAGES and parts[2] not in PUBLIC_MODULES and not _a_name(parts):
                found.append(f"{module.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def _a_name(parts: list[str]) -> bool:
    """Whether ``socialcredit.<package>.<x>`` is a name on the package's surface (``from
    socialcredit.ledger import Entry``), not a module of it."""
    package = __import__(f"socialcredit.{parts[1]}", fromlist=["__all__"])
    return len(parts) == 3 and parts[2] in getattr(package, "__all__", ())


@pytest.mark.parametrize("package", PACKAGES)
def test_the_implementation_modules_are_private(package: str) -> None:
    found = [m.name for m in pkgutil.iter_modules([str(ROOT / package)])]
    public = sorted(name for name in found if not name.startswith("_"))
    assert set(public) <= PUBLIC_MODULES, f"socialcredit.{package} has public modules {public}"


def test_no_package_imports_another_packages_modules() -> None:
    found = [
        line
        for module in sorted(ROOT.rglob("*.py"))
        for line in reaches_into(module, module.read_text())
    ]
    assert found == []


def test_no_module_imports_its_own_packages_surface() -> None:
    """A module behind a surface imports its siblings, never the ``__init__`` that imports it
    (a cycle that breaks as soon as the surface's imports are reordered)."""
    found = []
    for module in sorted(ROOT.rglob("_*.py")):
        if module.parent == ROOT or module.name == "__init__.py":
            continue
        package = "socialcredit." + ".".join(module.relative_to(ROOT).parts[:-1])
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and absolute(module, node) == package:
                names = [a.name for a in node.names if not a.name.startswith("_")]
                found += [f"{module.relative_to(ROOT)}:{node.lineno}: {n}" for n in names]
    assert found == []


@pytest.mark.parametrize(
    "bad",
    [
        "from socialcredit.ledger._entries import Entry",
        "from ..ledger._entries import Entry",
        "from socialcredit.ledger import _entries",
        "import socialcredit.ledger._entries",
        "from socialcredit.api._routes import scores",
    ],
)
def test_a_reach_into_another_package_is_caught(bad: str) -> None:
    module = ROOT / "rights" / "_disputes.py"
    assert reaches_into(module, module.read_text()) == []
    assert len(reaches_into(module, module.read_text() + f"\n{bad}\n")) == 1


def test_a_package_may_import_its_own_modules_and_others_surfaces() -> None:
    module = ROOT / "rights" / "_disputes.py"
    fine = "from ._reads import log_read\nfrom socialcredit.ledger import Entry, events\n"
    fine += "from socialcredit.records.events import RecordFiledV1\n"
    assert reaches_into(module, fine) == []


@pytest.fixture(scope="module")
def runtime_graph() -> grimp.ImportGraph:
    """The package's import graph at run time: imports under ``TYPE_CHECKING`` are left out
    (they only name types), imports inside functions are kept (they run)."""
    return grimp.build_graph("socialcredit", exclude_type_checking_imports=True, cache_dir=None)


def sibling_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The cycles among ``package``'s children, each child standing for itself and its
    descendants: every strongly connected group of more than one child, sorted."""
    children = sorted(graph.find_children(package))
    home = {}
    for child in children:
        for module in {child} | graph.find_descendants(child):
            home[module] = child
    edges: dict[str, set[str]] = {child: set() for child in children}
    for module, child in home.items():
        for imported in graph.find_modules_directly_imported_by(module):
            target = home.get(imported)
            if target is not None and target != child:
                edges[child].add(target)
    return [group for group in _strongly_connected(edges) if len(group) > 1]


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``edges``, each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_cycles_between_the_modules_of_a_package(
    runtime_graph: grimp.ImportGraph, package: str
) -> None:
    assert sibling_cycles(runtime_graph, f"socialcredit.{package}") == []


def test_a_cycle_inside_a_package_is_caught() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert [g for g in _strongly_connected(edges) if len(g) > 1] == [["a", "b", "c"]]
    assert [g for g in _strongly_connected({"a": {"b"}, "b": set()}) if len(g) > 1] == []
