"""The code's structure: no import cycles between the modules of ``app``.

Every import counts, at module level and inside functions (a deferred import still ties the
two modules together); only imports under ``if TYPE_CHECKING:`` (annotations) do not. The
one seam left out is ``from app import create_app``: the entry points that run in a process
of their own (the command line, the RQ jobs) build the application, and the factory stands
above every module by design.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: (module, name) pairs that are not dependencies between concerns (see the module notes)
ENTRY_POINTS = {("app", "create_app")}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in (ROOT / "app").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            for other in node.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of ``app`` it imports."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        package = name.split(".") if is_package else name.split(".")[:-1]
        deps = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                deps |= {alias.name for alias in node.names if alias.name in modules}
                continue
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if (target, alias.name) in ENTRY_POINTS:
                    continue
                if f"{target}.{alias.name}" in modules:
                    deps.add(f"{target}.{alias.name}")
                elif target in modules:
                    deps.add(target)
        deps.discard(name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_deferred_and_relative_imports():
    graph = import_graph()
    assert "app.reports.settings" in graph["app.reports.finals"]  # module level
    assert "app.reports.context" in graph["app.reports.finals"]  # inside a function
    assert "app.rubric.model" not in graph["app.rubric.types.base"]  # annotations only


def test_no_module_of_app_takes_part_in_an_import_cycle():
    graph = import_graph()
    found = cycles(graph)
    described = ["\n".join(f"{module} -> {', '.join(sorted(graph[module] & set(group)))}"
                           for module in group) for group in found]
    assert found == [], "import cycles:\n\n" + "\n\n".join(described)
