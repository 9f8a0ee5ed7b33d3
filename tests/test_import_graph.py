"""No import circles in the package, counting imports made inside functions.

A module that two rooms need moves down a floor rather than have one import
the other back; an import inside a function is still a dependency. Imports
under ``if TYPE_CHECKING:`` are for the type checker only and do not count;
importing a submodule counts as importing the subpackages above it (not the
top ``kavalai`` package, which gathers the public names of everything).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kavalai"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The kavalai modules an import statement in module ``name`` loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def imports_of(name: str, path: Path) -> set[str]:
    """Every module module ``name`` imports, at the top or in a function, not for typing."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(imported(name, path, node))
        elif isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        loaded: set[str] = set()
        for module in imports_of(name, path) & set(paths):
            parts = module.split(".")
            loaded.update(".".join(parts[:end]) for end in range(2, len(parts) + 1))
        graph[name] = {
            module
            for module in loaded
            if module in paths and module != name and not name.startswith(f"{module}.")
        }
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "kavalai._view.repr" in graph["kavalai.streamer"]  # imported in __repr__
    assert "kavalai.streamer" not in graph["kavalai._view.repr"]  # only for the type checker


def test_no_module_imports_itself_back() -> None:
    assert circles(import_graph()) == []
