"""Model output is untrusted: make a value safe to show as HTML, SVG or terminal text."""

from __future__ import annotations

import html
import re

__all__ = ["for_markup", "for_terminal"]

# Escape sequences a terminal acts on: CSI (cursor, colour, clear), OSC (title,
# hyperlinks, clipboard), DCS/PM/APC strings and the two-character ones.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]",
    re.DOTALL,
)
# What is left that a terminal or an XML parser would trip on; newline and tab stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines and tabs stay).

    >>> for_terminal("red\\x1b[31m alert\\x1b[2J\\a")
    'red alert'
    """
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def for_markup(text: str) -> str:
    """``text`` escaped for HTML and XML, control characters shown as their symbols.

    ``<``, ``>``, ``&`` and quotes become entities, so a value can neither open a
    tag nor leave an attribute; a control character (invalid in XML) becomes
    its visible symbol, ``␛`` for escape.

    >>> for_markup('</table><script>alert("x")</script>\\x1b[31m')
    '&lt;/table&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;␛[31m'
    """
    return html.escape(_CONTROL.sub(_symbol, text), quote=True)


def _symbol(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "␡" if code == 0x7F else "�"
