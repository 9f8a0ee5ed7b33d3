"""The README's examples run as written and print what it shows.

Its ``python`` blocks run in order in one namespace and one event loop, with
top-level await; a ``text`` block right after one is that block's output.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path
from types import CodeType

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def examples() -> list[tuple[str, str | None]]:
    """The README's python blocks, each with the text block that follows it, if any."""
    blocks = [(kind, body) for kind, body in _BLOCK.findall(README.read_text(encoding="utf-8"))]
    pairs: list[tuple[str, str | None]] = []
    for index, (kind, body) in enumerate(blocks):
        if kind != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        pairs.append((body, following[1] if following and following[0] == "text" else None))
    return pairs


def compile_block(source: str) -> CodeType:
    code: CodeType = compile(
        source, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    return code


async def test_readme_has_examples_with_outputs() -> None:
    pairs = examples()
    assert len(pairs) >= 6
    assert all(output is not None for _, output in pairs)


async def test_readme_examples_print_what_the_readme_shows() -> None:
    namespace: dict[str, object] = {"__name__": "readme"}
    for source, expected in examples():
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = eval(compile_block(source), namespace)
            if result is not None:
                await result
        if expected is not None:
            assert output.getvalue() == expected, source
