"""The board as HTML: one panel per stream and a status line, every value escaped.

Styles are inline, so the HTML looks the same in JupyterLab, Notebook 7, VS
Code, nbconvert and a GitHub preview, none of which needs a script to show it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .board import STATE_MARK, Board, Panel, member_open
from .safe import for_markup

if TYPE_CHECKING:
    from ..content import StreamContent

__all__ = ["board_html", "message_html"]

_BOX = (
    "font-family:ui-sans-serif,system-ui,sans-serif;font-size:13px;line-height:1.4;"
    "border:1px solid #8884;border-radius:6px;padding:6px 10px;margin:4px 0;max-width:60em"
)
_HEAD = "font-weight:600;margin:2px 0"
_MUTED = "opacity:.65;font-weight:400"
_TEXT = "white-space:pre-wrap;word-break:break-word;margin:2px 0;font-family:ui-monospace,monospace"
_MARKDOWN = "margin:2px 0;word-break:break-word"
_ERROR = "color:#c62828;font-weight:600;white-space:pre-wrap;margin:2px 0"
_TABLE = "border-collapse:collapse;margin:2px 0"
_CELL = "border-bottom:1px solid #8883;padding:1px 8px;text-align:left;vertical-align:top"


def board_html(board: Board) -> str:
    """The whole board: a panel per stream, then the status line."""
    panels = "".join(_panel(board, panel) for panel in board.panels.values())
    failure = (
        f'<div class="kavalai-error" style="{_ERROR}">{for_markup(board.error)}</div>'
        if board.error is not None
        else ""
    )
    status = f'<div class="kavalai-status" style="{_MUTED}">{for_markup(board.status())}</div>'
    return f'<div class="kavalai-board" style="{_BOX}">{panels}{failure}{status}</div>'


def message_html(message: StreamContent) -> str:
    """One message: its type, stream, position and value."""
    seq = "" if message.seq is None else f" #{message.seq}"
    value = (
        f'<span style="{_MUTED}">None</span>'
        if message.value is None
        else f'<code style="{_TEXT}">{for_markup(message.value)}</code>'
    )
    return (
        f'<div class="kavalai-message" style="{_BOX}">'
        f'<span style="{_MUTED}">StreamContent{seq}</span> '
        f"<b>{for_markup(message.type)}</b> {for_markup(message.name)}: {value}</div>"
    )


def _panel(board: Board, panel: Panel) -> str:
    head = (
        f'<div style="{_HEAD}">{for_markup(panel.name)} '
        f'<span style="{_MUTED}">{STATE_MARK[panel.state]} · {panel.messages:,} '
        f"message{'' if panel.messages == 1 else 's'}</span></div>"
    )
    value, open_levels = panel.structured()
    as_markdown = board.as_markdown
    shown = None if value is not None or as_markdown is None else as_markdown(board, panel)
    if shown is not None:
        # Sanitised by the Markdown renderer: raw HTML as text, no unsafe link, no image.
        body = f'<div class="kavalai-markdown" style="{_MARKDOWN}">{shown.html()}</div>'
    elif value is None:
        body = f'<div class="kavalai-text" style="{_TEXT}">{for_markup(panel.value)}</div>'
    else:
        body = _value(value, open_levels)
    error = (
        f'<div class="kavalai-error" style="{_ERROR}">{for_markup(panel.error)}</div>'
        if panel.error is not None
        else ""
    )
    return (
        f'<div class="kavalai-panel" data-stream="{for_markup(panel.name)}" '
        f'data-state="{panel.state}">{head}{body}{error}</div>'
    )


def _value(value: object, open_levels: int) -> str:
    """An object as a table of its fields, an array of objects as a table of rows.

    ``open_levels`` is how many containers are open from ``value`` down its
    last members (see :func:`~kavalai._view.board.member_open`).
    """
    if isinstance(value, dict):
        last = len(value) - 1
        rows = "".join(
            f'<tr><th style="{_CELL}">{for_markup(key)}</th>'
            f'<td style="{_CELL}">{_value(item, member_open(open_levels, index == last))}</td></tr>'
            for index, (key, item) in enumerate(value.items())
        )
        return f'<table class="kavalai-fields" style="{_TABLE}">{rows}</table>'
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return _rows(value, open_levels)
    if isinstance(value, str):
        return f'<span style="{_TEXT}">{for_markup(value)}</span>'
    return f'<code style="{_TEXT}">{for_markup(json.dumps(value, ensure_ascii=False))}</code>'


def _rows(items: list[object], open_levels: int) -> str:
    """A table with a row per object; a row whose object has closed (its ``}``) is marked ✓."""
    columns: dict[str, None] = {}
    for item in items:
        assert isinstance(item, dict)
        columns.update(dict.fromkeys(item))
    head = f'<th style="{_CELL}"></th>' + "".join(
        f'<th style="{_CELL}">{for_markup(column)}</th>' for column in columns
    )
    body = ""
    for index, item in enumerate(items):
        assert isinstance(item, dict)
        item_open = member_open(open_levels, index == len(items) - 1)
        done = item_open == 0
        mark = "✓" if done else "…"
        cells = "".join(
            f'<td style="{_CELL}">{cell}</td>' for cell in _cells(item, columns, item_open)
        )
        body += (
            f'<tr class="kavalai-item" data-complete="{str(done).lower()}">'
            f'<td style="{_CELL}">{mark}</td>{cells}</tr>'
        )
    return f'<table class="kavalai-items" style="{_TABLE}"><tr>{head}</tr>{body}</table>'


def _cells(item: dict[str, object], columns: dict[str, None], open_levels: int) -> list[str]:
    """An object's values in the table's columns, blank where it has none."""
    last = next(reversed(item), None)
    return [
        _value(item[column], member_open(open_levels, column == last)) if column in item else ""
        for column in columns
    ]
