"""RFC 6902 JSON Patch for a structured value as the partial-JSON engine reads it.

The engine never takes a value back: a snapshot's finished members stay as
they are, containers only grow, and only the innermost open string gets
longer. So the operations that bring a client's copy up to date only ``add``
members (new ones, and the open member the first time it is shown) and
``replace`` the open string with its longer self, or a member that finished
with its final value. Only the open path of the value can change, so a patch
costs the members it adds plus the depth of the value, never the whole value.

A growing string can only be sent whole (JSON Patch has no append), so the
bytes stay bounded: it is sent again only once as much text arrived as it
already holds, so each string costs at most about twice the text fed.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from ..partial_json import JsonValue, PartialJsonParser

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ValuePatcher", "pointer"]

_Container = dict[str, JsonValue] | list[JsonValue]
_Key = str | int
Op = dict[str, object]


def pointer(*tokens: _Key) -> str:
    """The JSON Pointer (RFC 6901) of ``tokens``: ``~`` and ``/`` escaped."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens)


class _Level:
    """One open container of the client's copy: the copy, the engine's own, its open member."""

    __slots__ = ("done", "live", "mine", "open", "path")

    def __init__(self, mine: _Container, live: _Container, path: str) -> None:
        self.mine = mine  # the client's copy (kept here, never the engine's)
        self.live = live  # the engine's container, which grows
        self.path = path
        self.open: _Key | None = None  # the member shown unfinished, if any
        self.done = len(live)  # how many of the engine's members the copy holds finished


class ValuePatcher:
    """The JSON Patch operations that keep a client's copy of one structured value current.

    Feed it the value's raw text chunk by chunk; :meth:`patch` gives the
    operations since the last call (the first ``add``\\ s the value at
    ``path``), :meth:`value` the client's copy, and :meth:`restart` starts the
    copy afresh for a client that gets it whole (a ``STATE_SNAPSHOT``).

    Args:
        path: The JSON Pointer of the value in the state, such as ``"/answer"``.
    """

    def __init__(self, path: str) -> None:
        self.parser = PartialJsonParser()
        self.path = path
        self._sent = False  # whether the client has a value at path
        self._closed = False  # the value closed and the client has it whole
        self._value: JsonValue = None
        self._levels: list[_Level] = []
        self._fed = 0  # characters fed since the open string was last sent

    def feed(self, chunk: str) -> None:
        """Read the next chunk of the value's text."""
        self.parser.feed(chunk)
        self._fed += len(chunk)

    @property
    def sent(self) -> bool:
        """Whether the client has a value at :attr:`path`."""
        return self._sent

    def value(self) -> JsonValue:
        """The client's copy: what the operations so far made of the value."""
        return self._value

    def restart(self) -> bool:
        """Make the client's copy the value so far, as a snapshot gives it; False if none yet."""
        self._sent = self._closed = False
        self._levels = []
        if not self.parser.has_value:
            return False
        self.patch()
        return True

    def patch(self, final: bool = False) -> list[Op]:
        """The operations since the last call; ``final`` at the end of the text.

        At the end the client's copy is the value itself (its last snapshot
        if it never closed), checked whole once: a repeated key that rewrote a
        member the client had is sent then.
        """
        parser = self.parser
        if final:
            parser.end_input()
        if not parser.has_value:
            return []
        ops: list[Op] = []
        frames, _, string = parser.open_frames()
        if not self._sent:
            self._sent = True
            self._value = self._copy(frames, 0, string, self.path)
            ops.append(_op("add", self.path, self._value))
        elif self._levels:
            self._follow(frames, string, final, ops)
        elif not self._closed and not frames:
            if string:  # a string at the top
                self._grow(None, final, ops)
            else:  # the value closed: the client's copy is checked whole, once
                self._closed = True
                whole = parser.snapshot()
                if whole != self._value:
                    self._value = whole
                    ops.append(_op("replace", self.path, whole))
        if final:
            whole = parser.snapshot()
            if whole != self._value:  # a repeated key rewrote a member the client had
                self._value = whole
                ops.append(_op("replace", self.path, whole))
        return ops

    def _follow(self, frames: Sequence[object], string: bool, final: bool, ops: list[Op]) -> None:
        """Catch the copy's open containers up; open what the engine opened since."""
        levels = self._levels
        still = 0  # how many levels of the copy are still open in the engine
        while (
            still < len(levels)
            and still < len(frames)
            and _container(frames[still]) is levels[still].live
        ):
            still += 1
        for depth in range(len(levels) - 1, still - 1, -1):  # closed since: finish them
            self._finish(levels[depth], ops)
        del levels[still:]
        if not still:
            return
        level = levels[still - 1]
        self._finish(level, ops)
        depth = still - 1
        live = level.live
        if depth + 1 < len(frames):
            here: _Key | None = _open_key(frames[depth], live)
        elif string:
            here = _open_key(frames[depth], live)
        else:
            here = None
        if here is None:
            level.open = None
        elif here == level.open and depth + 1 >= len(frames):  # the same string, longer
            self._grow(level, final, ops)
        else:  # a new open member: add what is known of it, and follow its open path
            path = level.path + pointer(here)
            value = self._copy(frames, depth + 1, string, path)
            ops.append(_op("add", path, value))
            _set(level.mine, here, value)
            level.open = here

    def _finish(self, level: _Level, ops: list[Op]) -> None:
        """Add the members the engine finished since; the one shown unfinished is replaced."""
        live, mine = level.live, level.mine
        keys: list[_Key]
        if isinstance(live, dict):
            keys = list(islice(reversed(live), len(live) - level.done))
            keys.reverse()
        else:
            keys = list(range(level.done, len(live)))
        for key in keys:
            value = _get(live, key)
            if key == level.open:
                shown = _get(mine, key)
                # A container shown open was caught up level by level: it equals the value.
                if not isinstance(shown, dict | list) and shown != value:
                    ops.append(_op("replace", level.path + pointer(key), value))
                level.open = None
            else:
                ops.append(_op("add", level.path + pointer(key), value))
            _set(mine, key, value)
        level.done = len(live)

    def _grow(self, level: _Level | None, final: bool, ops: list[Op]) -> None:
        """Send the open string again if as much text came as it holds (or at the end)."""
        shown = self._value if level is None else _get(level.mine, level.open)  # type: ignore[arg-type]
        if not final and self._fed < max(len(shown) if isinstance(shown, str) else 0, 1):
            return
        text = self.parser.open_text()
        if text is None or text == shown:
            return
        self._fed = 0
        if level is None:
            self._value = text
            ops.append(_op("replace", self.path, text))
        else:
            assert level.open is not None
            _set(level.mine, level.open, text)
            ops.append(_op("replace", level.path + pointer(level.open), text))

    def _copy(self, frames: Sequence[object], start: int, string: bool, path: str) -> JsonValue:
        """The client's copy of the open path from ``frames[start]`` on, its levels recorded."""
        parser = self.parser
        if string:
            self._fed = 0
        if start >= len(frames):
            return parser.open_text() if string else parser.snapshot()
        copies: list[_Level] = []
        for depth in range(start, len(frames)):
            live = _container(frames[depth])
            level = _Level(dict(live) if isinstance(live, dict) else list(live), live, path)
            if copies:
                parent = copies[-1]
                _set(parent.mine, parent.open, level.mine)  # type: ignore[arg-type]
            copies.append(level)
            if depth + 1 < len(frames) or string:
                level.open = _open_key(frames[depth], live)
                path += pointer(level.open)
        if string:
            _set(copies[-1].mine, copies[-1].open, parser.open_text())  # type: ignore[arg-type]
        self._levels += copies
        return copies[0].mine


def _container(frame: object) -> _Container:
    container: _Container = frame.container  # type: ignore[attr-defined]
    return container


def _open_key(frame: object, live: _Container) -> _Key:
    """The key of a container's open member: the frame's key, or the next index."""
    if isinstance(live, dict):
        key: str = frame.key  # type: ignore[attr-defined]
        return key
    return len(live)


def _op(op: str, path: str, value: JsonValue) -> Op:
    return {"op": op, "path": path, "value": value}


def _get(container: _Container, key: _Key) -> JsonValue:
    if isinstance(container, dict):
        return container.get(str(key))
    return container[key] if isinstance(key, int) and key < len(container) else None


def _set(container: _Container, key: _Key, value: JsonValue) -> None:
    if isinstance(container, dict):
        container[str(key)] = value
    elif isinstance(key, int) and key < len(container):
        container[key] = value
    else:
        container.append(value)
