"""The README's examples pass ``mypy --strict``, and its scripts run as scripts.

The ``python`` blocks run in one event loop with top-level await (see
``test_readme.py``), so they are checked as the body of one async function.
A ``py`` block is a whole script: it is checked on its own and run with the
interpreter, and the ``text`` block after it is its output.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in _BLOCK.findall(README.read_text(encoding="utf-8"))]


def _scripts() -> list[tuple[str, str]]:
    blocks = _blocks()
    return [
        (body, blocks[index + 1][1])
        for index, (kind, body) in enumerate(blocks)
        if kind == "py" and index + 1 < len(blocks) and blocks[index + 1][0] == "text"
    ]


def _mypy(path: Path) -> str:
    out, err, status = api.run(
        ["--strict", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(path)]
    )
    return "" if status == 0 else out + err


def test_readme_examples_pass_mypy_strict(tmp_path: Path) -> None:
    examples = "\n".join(body for kind, body in _blocks() if kind == "python")
    module = tmp_path / "readme_examples.py"
    module.write_text(
        "async def readme() -> None:\n" + textwrap.indent(examples, "    "), encoding="utf-8"
    )

    assert _mypy(module) == ""


def test_readme_has_a_script() -> None:
    scripts = _scripts()
    assert scripts
    assert all("asyncio.run(" in source for source, _ in scripts)


@pytest.mark.parametrize("index", range(len(_scripts())))
def test_readme_script_passes_mypy_strict_and_prints_what_the_readme_shows(
    index: int, tmp_path: Path
) -> None:
    source, expected = _scripts()[index]
    script = tmp_path / "example.py"
    script.write_text(source, encoding="utf-8")

    assert _mypy(script) == ""
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert ran.stdout == expected
