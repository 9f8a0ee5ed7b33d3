"""Mirror: an answer's records applied to a local Streamer at the producer's own positions."""

from __future__ import annotations

from ..errors import DataLostError
from ..streamer import Streamer
from ..wire import Record, Replica

__all__ = ["Mirror"]


class Mirror:
    """Applies an answer's records to ``streamer``, each message at its producer's position.

    What stands for positions the reader does not get one by one (a stored
    base, the catch-up a late publisher wrote) is applied and then folded
    with :meth:`kavalai.Streamer.fold_to`, so the local Streamer's positions
    are the producer's from there on; resuming ``after`` a position, the
    local Streamer is folded there without a catch-up, so its consumers start
    right after it, with cumulative values that go on from what came before.
    A message further on than the next one raises
    :class:`~kavalai.DataLostError`, with :attr:`gap` set to the position
    expected and the one that came; a position to resume after that the
    answer has not given raises ``ValueError``, with :attr:`refused` set.
    """

    def __init__(self, key: str, streamer: Streamer, after: int | None) -> None:
        self.key = key
        self.streamer = streamer
        self.replica = Replica(streamer)
        self.expected = 0  # the position of the next message
        # Where consumers start: right after ``after`` (None: from the first).
        self.start = None if after is None or after < 0 else after + 1
        self.started = self.start is None
        self.fresh = True  # nothing applied yet
        self.catching_up = False
        self.gap: tuple[int, int] | None = None
        self.refused = False

    async def base(self, position: int, records: list[Record]) -> bool:
        """Apply a base standing for the positions below ``position``; False once ended."""
        for record in records:
            if record.kind in ("end", "error"):
                self._end_catch_up(position)
                return await self.record(record)
            if not await self.record(record):
                return False
        self._end_catch_up(position)
        return True

    async def entry(self, n: int, records: list[Record]) -> bool:
        """Apply an entry's records, ``n`` positions so far once applied; False once ended."""
        if (
            not self.catching_up
            and n != self.expected
            and all(r.seq is None for r in records)
            and records[0].kind != "restart"
        ):  # no position of its own: it must add none
            raise self._gap(n)
        for record in records:
            if not await self.record(record):
                return False
        if not self.catching_up and n != self.expected:
            raise self._gap(n)
        return True

    async def record(self, record: Record) -> bool:
        """Apply one record; False once the answer ended."""
        kind, seq = record.kind, record.seq
        if kind == "restart" and seq is None:  # a catch-up begins
            if not self.fresh:
                raise ValueError(
                    f"Redis key {self.key!r} holds a catch-up after messages: it holds more "
                    "than one answer; give each answer a key of its own"
                )
            self.fresh = False
            self.catching_up = True  # the first restart: this Streamer holds nothing yet
            return True
        if kind == "restart" and self.fresh and seq is not None and seq > 0:
            # A catch-up of nothing but its restart, which then carries the position.
            self.fresh = False
            self._end_catch_up(seq + 1)
            return True
        self.fresh = False
        if seq is None:
            if kind in ("end", "error"):
                self.settle()
            return await self.replica.apply(record)
        if self.catching_up:  # the catch-up's last message: it stands for those up to seq
            chunks = record.chunks
            if kind != "partial" or len(chunks) == 1:
                return await self._last_of_catch_up(record, seq)
            await self._last_of_catch_up(Record("partial", seq, record.name, chunks[:1]), seq)
            record = Record("partial", seq + 1, record.name, chunks[1:])
            seq += 1
        if kind == "partial":
            start, chunks = self.start, record.chunks
            if not self.started and start is not None and seq < start:
                # Before where consumers start, each message is folded anyway: the
                # chunks go in as one, which is quicker to apply and folds the same.
                before = chunks[max(0, self.expected - seq) : start - seq]
                if before:
                    self._at(max(seq, self.expected))
                    joined = Record("partial", self.expected, record.name, ("".join(before),))
                    await self.replica.apply(joined)
                    self.expected += len(before)
                if len(chunks) <= start - seq:
                    return True
                chunks, seq = chunks[start - seq :], start
            for index, chunk in enumerate(chunks):
                position = seq + index
                if position >= self.expected:
                    self._at(position)
                    await self.replica.apply(Record("partial", position, record.name, (chunk,)))
                    self.expected = position + 1
            return True
        if seq < self.expected:  # written twice
            return True
        self._at(seq)
        self.expected = seq + 1
        return await self.replica.apply(record)

    def settle(self) -> None:
        """What was read so far is all there is now: start consumers, or refuse the position."""
        start = self.start
        if self.started or start is None:
            return
        if start > self.expected:
            self.refused = True
            raise ValueError(
                f"after={start - 1} is not the position of a message of the answer at Redis "
                f"key {self.key!r} (its positions so far run from 0 to {self.expected - 1}); "
                "pass a message.seq, or None to start from the first message"
            )
        self._at(start)

    async def _last_of_catch_up(self, record: Record, seq: int) -> bool:
        going = await self.replica.apply(record)
        self._end_catch_up(seq + 1)
        return going

    def _end_catch_up(self, position: int) -> None:
        """What was applied stands for the positions below ``position``."""
        self.catching_up = False
        self.expected = position
        start = self.start
        if start is not None and not self.started and start == position:
            self.started = True
            self.streamer.fold_to(position, catch_up=False)
            return
        if start is not None and start < position:
            self.started = True  # it resumes inside what was folded: the catch-up is its start
        if position > 0:
            self.streamer.fold_to(position)

    def _gap(self, got: int) -> DataLostError:
        self.gap = (self.expected, got)
        return DataLostError(
            f"positions {self.expected} to {got - 1} of the answer at Redis key "
            f"{self.key!r} are missing"
        )

    def _at(self, position: int) -> None:
        """The next message is at ``position``: check it is the one expected."""
        if position > self.expected:
            raise self._gap(position)
        if position == self.start and not self.started:
            self.started = True
            self.streamer.fold_to(position, catch_up=False)
