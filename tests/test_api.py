"""The public surface: every name in ``__all__`` exists, and nothing else is promised."""

from __future__ import annotations

import importlib

import pytest

# Every public room; the optional ones are installed wherever the tests run.
MODULES = [
    "kavalai",
    "kavalai.display",
    "kavalai.errors",
    "kavalai.operators",
    "kavalai.partial_json",
    "kavalai.providers",
    "kavalai.reader",
    "kavalai.redis",
    "kavalai.web",
    "kavalai.wire",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_name_in_all_is_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_sorted_and_unique(module_name: str) -> None:
    names = importlib.import_module(module_name).__all__
    # Constants first, then the rest, as the linter sorts (ruff's RUF022).
    assert list(names) == sorted(set(names), key=lambda name: (not name.isupper(), name))
