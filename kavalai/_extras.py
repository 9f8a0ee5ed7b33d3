"""The optional parts' dependencies: a missing one is an ImportError naming the extra to install."""

from __future__ import annotations

__all__ = ["missing_extra"]


def missing_extra(part: str, needs: str, extra: str) -> ImportError:
    """The error to raise when ``part`` cannot import ``needs``, which ``extra`` installs.

    Example:
        >>> print(missing_extra("kavalai.web", "Starlette and httpx", "web"))
        kavalai.web needs Starlette and httpx, from the web extra: pip install 'kavalai[web]' (from a clone: pip install '.[web]')
    """  # noqa: E501
    return ImportError(
        f"{part} needs {needs}, from the {extra} extra: pip install 'kavalai[{extra}]' "
        f"(from a clone: pip install '.[{extra}]')"
    )
