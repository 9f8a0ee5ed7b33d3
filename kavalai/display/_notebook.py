"""An output of a Jupyter notebook, updated in place through its display id."""

from __future__ import annotations

from collections.abc import Callable

from .._extras import missing_extra

try:
    from IPython.display import display
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai's notebook display", "IPython", "display") from missing

__all__ = ["NotebookView"]

Bundle = dict[str, str]


class _Output:
    """What IPython shows: the MIME types a frontend picks from."""

    def __init__(self, bundle: Bundle) -> None:
        self._bundle = bundle

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> Bundle:
        return self._bundle


class NotebookView:
    """One output that :meth:`update` replaces; the last update stays in the notebook."""

    def __init__(self, render: Callable[[], Bundle]) -> None:
        self._render = render
        self._handle = display(_Output(render()), display_id=True)  # type: ignore[no-untyped-call]

    def update(self) -> None:
        self._handle.update(_Output(self._render()))

    def finish(self) -> None:
        self.update()
