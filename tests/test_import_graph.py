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


# The private modules at the package's root that every room may use: small
# helpers with no state (missing extras, compact JSON, a stream's text, Rx
# iteration), the views below the display and the web page, and the demo's
# recording. Every other private module at the root is the log's own house.
FLOOR = {
    "kavalai._extras",
    "kavalai._json",
    "kavalai._text",
    "kavalai._iterate",
    "kavalai._recording",
}
FLOOR_PACKAGES = ("kavalai._view",)
# Besides the core's own modules, only the wire's catch-up reads the log's house:
# it folds records with the log's own history, so that a stored base and a
# Streamer's catch-up are computed by the same code.
LOG_FACES = {"kavalai.wire._catch_up"}
# The command line sits above every room: it runs their demos, and nothing imports it.
COMMAND_LINE = {"kavalai.__main__", "kavalai._demo"}


def room_of(module: str) -> str:
    """``kavalai.web._ui`` is in room ``kavalai.web``; a root module is in ``kavalai``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or module in PACKAGES else "kavalai"


PACKAGES = {module_name(path) for path in PACKAGE.rglob("__init__.py")}


def is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split(".")[1:])


def trespasses_in(graph: dict[str, set[str]]) -> list[str]:
    """Each import of another room's private module, outside what the floors allow."""
    trespasses: list[str] = []
    for name, imports in graph.items():
        room = room_of(name)
        if name in COMMAND_LINE:
            continue
        trespasses += [f"{name} imports the command line's {m}" for m in imports & COMMAND_LINE]
        for module in imports - COMMAND_LINE:
            if room_of(module) == room or not is_private(module):
                continue
            if room_of(module) == "kavalai":  # the core's private modules
                if module in FLOOR or module.startswith(FLOOR_PACKAGES) or name in LOG_FACES:
                    continue
            elif module.startswith(FLOOR_PACKAGES):
                continue
            trespasses.append(f"{name} imports {module}")
    return sorted(trespasses)


def test_a_room_imports_only_the_public_names_of_another() -> None:
    assert trespasses_in(import_graph()) == []


def test_the_room_rule_sees_a_trespass() -> None:
    assert room_of("kavalai.web._ui") == "kavalai.web"
    assert room_of("kavalai.web") == "kavalai.web"
    assert room_of("kavalai._log") == "kavalai"
    assert room_of("kavalai._view.board") == "kavalai._view"
    assert is_private("kavalai.partial_json._values")
    assert not is_private("kavalai.partial_json")
    graph = {
        "kavalai.web._ui": {"kavalai._log", "kavalai._json", "kavalai.partial_json._values"},
        "kavalai.wire._catch_up": {"kavalai._log"},
        "kavalai.display._live": {"kavalai._view.board", "kavalai._demo"},
        "kavalai._demo": {"kavalai.display._terminal"},
    }
    assert trespasses_in(graph) == [
        "kavalai.display._live imports the command line's kavalai._demo",
        "kavalai.web._ui imports kavalai._log",
        "kavalai.web._ui imports kavalai.partial_json._values",
    ]
