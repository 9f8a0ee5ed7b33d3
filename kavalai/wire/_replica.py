"""Replica: wire records applied to a local Streamer, rebuilding the remote one's messages."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import RemoteStreamError
from ._record import Record

if TYPE_CHECKING:
    from ..streamer import Streamer
    from ..value_streamer import ValueStreamer

__all__ = ["Replica", "StructuredValue"]


class StructuredValue(BaseModel):
    """The model of a structured stream rebuilt from the wire.

    The producer's own model class does not travel; the rebuilt stream is
    structured all the same, and consumers validate with their own models
    (``streamer.values(name).pipe(typed_partials(Answer))``).
    """


class Replica:
    """Applies wire records to a local Streamer, rebuilding the remote one's messages.

    Run the task that applies records as a producer started on the Streamer
    (``streamer.start(...)``), so the Streamer does not end between one remote
    stream completing and the next one appearing.

    Attributes:
        last_seq: The remote position of the last message applied, for resuming
            after it; ``None`` before any.
    """

    def __init__(self, streamer: Streamer) -> None:
        self.streamer = streamer
        self.last_seq: int | None = None
        self._active: dict[str, ValueStreamer] = {}
        self._modes: dict[str, tuple[bool, bool]] = {}
        self._serials: dict[str, int | None] = {}  # of the remote streams now active here

    async def stop(self, follower: asyncio.Future[Any]) -> None:
        """Close the local Streamer, then cancel ``follower``, the task applying records.

        For when its reader leaves: nothing is applied after this returns. The
        Streamer is closed first, so its other consumers see it closed rather
        than failed by the cancelled follower.
        """
        self.streamer.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)

    async def apply(self, record: Record) -> bool:
        """Apply one record; False once the remote Streamer ended (``end`` or ``error``)."""
        kind, name, streamer = record.kind, record.name, self.streamer
        if kind == "stream":
            assert name is not None
            self._modes[name] = (record.delta, record.structured)
            active = self._active.get(name)
            if active is not None and self._serials.get(name) != record.serial:
                active.retire()  # the remote one was replaced (a retry)
                del self._active[name]
            self._serials[name] = record.serial
        elif kind == "partial":
            value_streamer = self._stream(name)
            for chunk in record.chunks:
                await value_streamer.stream_partial(chunk)
        elif kind == "complete":
            await self._stream(name).stream_complete()
            self._active.pop(name or "", None)
        elif kind == "restart":
            await streamer.stream_restart(record.value)
            if record.seq is None:  # a catch-up: every stream comes again, whole
                streamer.reset_active()
                self._active.clear()
        elif kind == "error":
            await streamer.stream_error(
                RemoteStreamError(record.error_type or "Exception", record.value or "")
            )
            return False
        else:
            if self._active:  # the remote one was closed with streams open: so is this one
                streamer.close()
            return False
        last = record.last_seq
        if last is not None:
            self.last_seq = last
        return True

    def _stream(self, name: str | None) -> ValueStreamer:
        assert name is not None
        value_streamer = self._active.get(name)
        if value_streamer is None:
            mode = self._modes.get(name)
            if mode is None:
                raise ValueError(
                    f"wire record for stream {name!r} before its 'stream' record; the sender "
                    "must announce each stream's mode first"
                )
            delta, structured = mode
            value_streamer = self._active[name] = self.streamer.get_value_streamer(
                name, stream_delta=delta, response_model=StructuredValue if structured else None
            )
        return value_streamer
