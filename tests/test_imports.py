"""Importing kavalai imports its core only; the optional rooms load when they are used.

Each check runs in a fresh interpreter, since this one has imported every room.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: The optional rooms: none of their modules is loaded by ``import kavalai``.
ROOMS = (
    "kavalai.display",
    "kavalai.web",
    "kavalai.redis",
    "kavalai.providers",
    "kavalai.testing",
    "kavalai.telemetry",
)

#: What the rooms depend on, from the extras: none is loaded by ``import kavalai``.
DEPENDENCIES = (
    "starlette",
    "httpx",
    "redis",
    "openai",
    "anthropic",
    "google",
    "IPython",
    "rich",
    "opentelemetry",
    "pytest",
)


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _loaded_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    loaded: list[str] = json.loads(_run(code))
    return loaded


def test_importing_kavalai_loads_no_module_of_an_optional_room() -> None:
    loaded = _loaded_after("import kavalai")

    assert "kavalai" in loaded
    assert [
        name
        for name in loaded
        if any(name == room or name.startswith(room + ".") for room in ROOMS)
    ] == []


def test_importing_kavalai_loads_no_optional_dependency() -> None:
    loaded = _loaded_after("import kavalai")

    assert [name for name in loaded if name.split(".")[0] in DEPENDENCIES] == []


def test_the_display_subpackage_is_not_shadowed_by_a_function() -> None:
    out = _run("import kavalai.display as room\nprint(room.Board.__name__, room.marbles.__name__)")

    assert out == "Board marbles\n"


def test_kavalai_display_reads_as_the_subpackage_after_import_kavalai() -> None:
    out = _run("import kavalai\nprint(kavalai.display.__name__, kavalai.display.Board.__name__)")

    assert out == "kavalai.display Board\n"


def test_show_is_the_display_function_loaded_when_first_read() -> None:
    code = (
        "import sys, kavalai\n"
        "print('kavalai.display' in sys.modules)\n"
        "from kavalai.display import display\n"
        "print(kavalai.show is display, 'show' in dir(kavalai))"
    )

    assert _run(code) == "False\nTrue True\n"


def test_calling_the_display_room_says_to_call_show() -> None:
    code = (
        "import kavalai\n"
        "try:\n"
        "    kavalai.display(kavalai.Streamer())\n"
        "except TypeError as error:\n"
        "    print(error)"
    )

    assert "await kavalai.show(streamer)" in _run(code)


def test_an_unknown_name_is_an_attribute_error() -> None:
    code = (
        "import kavalai\n"
        "try:\n"
        "    kavalai.nothing\n"
        "except AttributeError as error:\n"
        "    print(error)"
    )

    assert _run(code) == "module 'kavalai' has no attribute 'nothing'\n"


def test_a_repr_imports_the_display_room_when_it_is_asked_for() -> None:
    code = (
        "import sys, kavalai\n"
        "streamer = kavalai.Streamer()\n"
        "print('kavalai._view.repr' in sys.modules)\n"
        "repr(streamer)\n"
        "print('kavalai._view.repr' in sys.modules, 'IPython' in sys.modules)"
    )

    assert _run(code) == "False\nTrue False\n"
