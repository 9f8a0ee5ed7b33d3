"""CatchUp: what a run of wire records amounts to, by the Streamer's own folding."""

from __future__ import annotations

from pydantic import BaseModel

from .._log import Log
from .._stream import Stream
from ._record import Record

__all__ = ["CatchUp"]


class _Structured(BaseModel):
    """Marks a stream of the mirror as structured; no value is ever validated with it."""


class CatchUp:
    """The records a reader needs to stand for the wire records folded so far.

    Feed it every record a :class:`~kavalai.wire.RecordReader` gave, in order;
    :meth:`records` then gives a ``restart``, each stream's mode and value so
    far (its text since the last restart it went on after, in one chunk) and
    its completion, every open stream announced, then the end if it came. It
    is the catch-up a Streamer gives a reader that starts before its kept
    history, computed by the same code: the records are applied to a history
    of its own, folded whole. The Redis publisher stores it as the base of the
    entries it trims.
    """

    def __init__(self) -> None:
        self._log = Log(history=0)
        self._log.held = True  # a stream completing between others is not the end
        self._open: dict[str, Stream] = {}
        self._ended: Record | None = None

    def fold(self, record: Record) -> None:
        """Take one more record in."""
        log, kind, name = self._log, record.kind, record.name or ""
        if kind == "stream":
            active = self._open.get(name)
            if active is not None and active.serial == record.serial:
                return  # announced again
            if active is not None:  # replaced by a retry
                log.retire(active)
            model = _Structured if record.structured else None
            self._open[name] = log.register(name, record.delta, model, record.serial)
        elif kind == "partial":
            if record.chunks:  # one push for them all: a catch-up joins them anyway
                log.push(self._open[name], "".join(record.chunks))
        elif kind == "complete":
            log.complete(self._open.pop(name))
        elif kind == "restart":
            log.restart(record.value)
            if record.seq is None:  # a catch-up: every stream comes again, whole
                log.reset()
                self._open.clear()
        else:
            self._ended = record

    def records(self) -> list[Record]:
        """The catch-up for everything folded so far; no record carries a position."""
        history = self._log.history
        history.fold(len(history))
        records: list[Record] = []
        announced: set[Stream] = set()
        for kind, stream, text, _ in history.catch_up(True, {}):
            if stream is None:
                records.append(Record("restart", value=text))
                continue
            if stream not in announced:
                announced.add(stream)
                records.append(_announce(stream))
            if kind == "partial":
                records.append(Record("partial", name=stream.name, chunks=(text or "",)))
            else:
                records.append(Record("complete", name=stream.name))
        # An open stream silent since the last restart: its next records need its mode.
        records += [_announce(s) for s in self._open.values() if s not in announced]
        if self._ended is not None:
            records.append(self._ended)
        return records


def _announce(stream: Stream) -> Record:
    return Record(
        "stream",
        name=stream.name,
        delta=stream.delta,
        structured=stream.structured,
        serial=stream.serial,
    )
