"""A property test: every consumer of a Streamer, whenever it starts, gets every message.

A random producer writes several streams (delta and cumulative, text and
structured), restarts with ``reset_active()`` or lets the streams go on with
new values, pushes chunks from a thread and
sometimes ends with an error, while consumers of every kind start at random
times: ``async for`` loops, ``messages(after=..., delta=...)`` iterators (after
trimmed positions too), Rx subscribers, ``values(name)`` observers, and wire
readers whose records a :class:`~kavalai.wire.Replica` applies to a Streamer of
its own, as the web client does. A small ``history`` makes the Streamer trim,
so late consumers get the catch-up. Once it ended, the display's snapshot and
the base a Redis publisher stores (its fold of every record) must rebuild the
same values.

The model is computed from the producer's operations: the message at each
position in both forms, each stream's value and the catch-up a consumer starting
at any position must get. (The best-effort JSON snapshots of structured values
are the ones a consumer of every message from the first gets.) Every consumer
must receive its messages in position order without gaps or duplicates, rebuild
each stream's value since the last restart exactly, and end, or get the
producer's error.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from kavalai import (
    MessageIterator,
    RemoteStreamError,
    StreamContent,
    Streamer,
    StreamRestartedError,
    ValueStreamer,
)
from kavalai._view.repr import snapshot
from kavalai.wire import CatchUp, Record, RecordReader, Replica

_T = TypeVar("_T")

Key = tuple[str, str, "str | None"]
Value = tuple[str, "str | None", bool]  # a stream's name, its value, whether it is complete

#: The names streams take, each with its mode: (delta, structured). Fixing the
#: mode per name lets a consumer in the streams' own modes read every message.
NAMES: dict[str, tuple[bool, bool]] = {
    "d1": (True, False),
    "d2": (True, False),
    "c1": (False, False),
    "c2": (False, False),
    "s": (False, True),
    "sd": (True, True),
}
#: A name no stream ever takes, for ``values()``.
NEVER = "never"
#: Restart reasons; never "catch-up", so a catch-up is told apart by its value.
REASONS = [None, "retry", "rate limited"]
CATCH_UP = ("restart", "response", "catch-up")

_piece = st.text(alphabet="ab é\n", max_size=3)
#: How many chunks one push step writes: long runs make a small history trim.
_bursts = st.sampled_from([1, 3, 10, 40, 150])


class Card(BaseModel):
    """The structured value the ``s`` and ``sd`` streams write."""

    title: str
    tags: list[str]
    count: int


_cards = st.builds(
    Card,
    title=st.text(alphabet='ab "\\é\n', max_size=5),
    tags=st.lists(st.text(alphabet="xy", max_size=2), max_size=2),
    count=st.integers(-1000, 1000),
)


@dataclass(eq=False)
class ModelStream:
    """What the producer wrote to one value streamer."""

    name: str
    handle: ValueStreamer
    card: Card | None = None
    text: str = ""  # every chunk pushed, joined
    pushes: int = 0
    last: Sent | None = None  # its latest message
    complete: bool = False
    retired: bool = False
    reason: str | None = None  # of the restart that retired it
    written: int = 0  # how much of the card's JSON was pushed

    @property
    def delta(self) -> bool:
        return NAMES[self.name][0]

    def next_chunk(self, piece: str) -> str:
        """The next chunk: ``piece`` for text, the next bit of the JSON for a structured value."""
        if self.card is None:
            return piece
        doc = self.card.model_dump_json()
        if self.written >= len(doc):
            return piece  # text after the JSON value, which the parser ignores
        chunk = doc[self.written : self.written + len(piece) + 1]
        self.written += len(chunk)
        return chunk


@dataclass(eq=False)
class Sent:
    """The message at one position, and its stream's state right after it.

    The cumulative value of a text stream is its text so far (``None`` for a
    completion without chunks); that of a structured stream, a best-effort
    JSON snapshot, is the one a consumer of every message from the first gets
    (see :meth:`Scenario.read_structured_values`).
    """

    kind: str
    stream: ModelStream | None  # None for a restart
    chunk: str | None = None  # the raw chunk of a partial
    cumulative: str | None = None  # the value in cumulative form; a restart's reason
    text: str = ""
    pushes: int = 0

    def key(self, delta: bool | None) -> Key:
        """The message as a consumer reading in ``delta`` mode gets it."""
        stream = self.stream
        if stream is None:
            return ("restart", "response", self.cumulative)
        as_delta = stream.delta if delta is None else delta
        return (self.kind, stream.name, self.chunk if as_delta else self.cumulative)


@dataclass(eq=False)
class Consumer:
    """One consumer and what it received."""

    kind: str  # "aiter", "messages", "rx", "values" or "wire"
    delta: bool | None = None
    after: int = -1
    late: bool = False  # started after the Streamer ended
    applied: int = 0  # positions surely applied when it started
    trim_point: int = 0  # the first retained position when it started
    head: int = 0  # the position of the next message when it started
    name: str = ""  # for values()
    target: ModelStream | None = None  # the stream values() follows
    voided: tuple[str | None, str] | None = None  # a restart's reason, and the text it took back
    messages: list[StreamContent] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)
    ended: str | None = None  # "completed" or "failed"
    error: Exception | None = None
    problems: list[str] = field(default_factory=list)

    def take_message(self, message: StreamContent) -> None:
        if self.ended is not None:
            self.problems.append(f"{message!r} after the end")
        self.messages.append(message)

    def take_chunk(self, chunk: str) -> None:
        if self.ended is not None:
            self.problems.append(f"chunk {chunk!r} after the end")
        self.chunks.append(chunk)

    def fail(self, error: Exception) -> None:
        if self.ended is not None:
            self.problems.append(f"a second end: {error!r}")
        self.ended, self.error = "failed", error

    def complete(self) -> None:
        if self.ended is not None:
            self.problems.append("a second end: completed")
        self.ended = "completed"


def keys(messages: list[StreamContent]) -> list[Key]:
    return [(message.type, message.name, message.value) for message in messages]


def replay(streamer: Streamer) -> list[StreamContent]:
    """What a consumer starting now gets at once: a subscription, let go right away."""
    seen: list[StreamContent] = []
    streamer.subscribe(seen.append, lambda error: None).dispose()
    return seen


def head(messages: list[StreamContent]) -> int:
    """The position after the last of ``messages`` (0 if none)."""
    seq = messages[-1].seq if messages else -1
    assert seq is not None
    return seq + 1


def trim_point(messages: list[StreamContent]) -> int:
    """The first retained position, read from the catch-up at the start of ``messages``."""
    if not messages or keys(messages[:1]) != [CATCH_UP]:
        return 0
    for message in messages:
        if message.seq is not None:
            return message.seq + 1
    raise AssertionError(f"a catch-up without a position: {keys(messages)}")


def rebuild(messages: list[Key], delta: bool | None) -> list[Value]:
    """Each stream's value from a consumer's messages, dropped at every restart."""
    values: list[Value] = []
    open_: dict[str, int] = {}  # name -> index of its value not yet complete
    for kind, name, message_value in messages:
        if kind == "restart":
            values.clear()
            open_.clear()
            continue
        as_delta = NAMES[name][0] if delta is None else delta
        index = open_.get(name)
        if index is None:
            index = open_[name] = len(values)
            values.append((name, "" if as_delta else None, False))
        value = values[index][1]
        if not as_delta:
            value = message_value
        elif kind == "partial":
            value = f"{value}{message_value}"
        complete = kind == "complete"
        values[index] = (name, value, complete)
        if complete:
            del open_[name]
    return values


async def replicate(records: list[Record]) -> tuple[list[StreamContent], Exception | None]:
    """What a local consumer of a Streamer rebuilt from ``records`` by a Replica gets."""
    local = Streamer(history=None)
    replica = Replica(local)

    async def apply() -> None:  # started, as a web client does, so the Streamer ends with it
        for record in records:
            if not await replica.apply(record):
                return

    local.start(apply())
    read: list[StreamContent] = []
    try:
        async for message in local:
            read.append(message)
    except RemoteStreamError as error:
        return read, error
    return read, None


async def read_until(reader: RecordReader, last: int) -> list[Record]:
    """The records up to the one carrying position ``last``, cut after it, as a client had them."""
    records: list[Record] = []
    while not reader.done:
        for record in await reader.read(None):
            first, seq = record.seq, record.last_seq
            if seq is None or seq < last:
                records.append(record)
                continue
            if first is not None and first <= last:
                records.append(
                    Record("partial", first, record.name, record.chunks[: last - first + 1])
                    if record.kind == "partial"
                    else record
                )
            await reader.aclose()
            return records
    return records


async def follow_the_wire(consumer: Consumer, streamer: Streamer, after: int | None) -> None:
    """Read records as a web client does, resuming once after ``after``, and rebuild the messages.

    A client resumes with the records it had applied: the values it rebuilt
    from them are where the records after the position go on.
    """
    records = [] if after is None or after < 0 else await read_until(RecordReader(streamer), after)
    event("a wire reader" if not records else "a wire reader resuming after a position")
    reader = RecordReader(streamer, after)
    while not reader.done:
        records += await reader.read(None)
    read, error = await replicate(records)
    for message in read:
        consumer.take_message(message)
    if error is None:
        consumer.complete()
    else:
        consumer.fail(error)


async def iterate(consumer: Consumer, iterator: MessageIterator) -> None:
    try:
        async for message in iterator:
            consumer.take_message(message)
    except Exception as error:
        consumer.fail(error)
    else:
        consumer.complete()
    try:  # an ended iteration stays ended, and raises the error only once
        extra = await anext(iterator)
    except StopAsyncIteration:
        return
    consumer.problems.append(f"{extra!r} after the end")


class Scenario:
    """A random producer and random consumers of one Streamer, and the model of both."""

    def __init__(self, data: st.DataObject, history: int | None, default_delta: bool) -> None:
        self.data = data
        self.history = history
        self.default_delta = default_delta
        self.streamer = Streamer(stream_delta=default_delta, history=history)
        self.sent: list[Sent] = []
        self.applied = 0  # positions surely applied (chunks from a thread may still be queued)
        self.active: list[ModelStream] = []
        self.by_name: dict[str, ModelStream] = {}  # the latest stream of each name
        self.since_restart: dict[ModelStream, None] = {}  # streams with messages, in order
        self.awaiting: dict[str, list[Consumer]] = {}  # values() consumers of later streams
        self.consumers: list[Consumer] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.ended = False
        self.error: Exception | None = None
        self.log: list[tuple[Any, ...]] = []  # what the producer did, to replay it

    def draw(self, strategy: st.SearchStrategy[_T]) -> _T:
        return self.data.draw(strategy)

    def draw_active(self) -> ModelStream:
        name = self.draw(st.sampled_from([stream.name for stream in self.active]))
        return next(stream for stream in self.active if stream.name == name)

    # The producer.

    async def step(self) -> None:
        ops = ["consume", "consume", "consume", "yield", "yield", "restart"]
        if len(self.active) < len(NAMES):
            ops += ["register", "register"]
        if self.active:
            ops += ["push", "push", "push", "push", "thread"]
        if len(self.active) > 1:
            ops += ["complete", "complete"]
        op = self.draw(st.sampled_from(ops))
        if op == "consume":
            self.consume()
        elif op == "yield":
            for _ in range(self.draw(st.integers(1, 3))):
                await asyncio.sleep(0)  # consumers read on
        elif op == "restart":
            await self.restart()
        elif op == "register":
            await self.register()
        elif op == "push":
            await self.push(self.draw_active())
        elif op == "thread":
            self.push_from_a_thread()
        else:
            await self.complete(self.draw_active())

    async def register(self) -> ModelStream:
        taken = {stream.name for stream in self.active}
        name = self.draw(st.sampled_from([name for name in NAMES if name not in taken]))
        delta, structured = NAMES[name]
        explicit = delta != self.default_delta or self.draw(st.booleans())
        handle = self.streamer.get_value_streamer(
            name,
            stream_delta=delta if explicit else None,
            response_model=Card if structured else None,
        )
        assert handle.stream_delta == delta
        stream = ModelStream(name, handle, self.draw(_cards) if structured else None)
        self.log.append(("register", stream))
        self.active.append(stream)
        self.by_name[name] = stream
        for consumer in self.awaiting.pop(name, []):
            consumer.target = stream
        self.applied = len(self.sent)
        return stream

    async def push(self, stream: ModelStream) -> None:
        pieces = self.draw(st.lists(_piece, min_size=1, max_size=3))
        rx_form = self.draw(st.booleans())
        for index in range(self.draw(_bursts)):
            chunk = stream.next_chunk(pieces[index % len(pieces)])
            if rx_form:
                stream.handle.on_next(chunk)
            else:
                await stream.handle.stream_partial(chunk)
            self.record_push(stream, chunk)
        self.applied = len(self.sent)

    def push_from_a_thread(self) -> None:
        """Push chunks with ``on_next`` from another thread; the loop takes them in call order."""
        streams = [self.draw_active() for _ in range(self.draw(st.integers(1, 2)))]
        pieces = self.draw(st.lists(_piece, min_size=1, max_size=3))
        plan: list[tuple[ValueStreamer, str]] = []
        for index in range(self.draw(st.integers(1, 20))):
            stream = streams[index % len(streams)]
            chunk = stream.next_chunk(pieces[index % len(pieces)])
            plan.append((stream.handle, chunk))
            self.record_push(stream, chunk)
        raised: list[BaseException] = []

        def produce() -> None:
            try:
                for handle, chunk in plan:
                    handle.on_next(chunk)
            except BaseException as error:
                raised.append(error)

        thread = threading.Thread(target=produce)
        thread.start()
        thread.join()  # the loop is blocked: the chunks wait for it, queued
        assert raised == []
        event("chunks pushed from a thread")

    async def complete(self, stream: ModelStream) -> None:
        await stream.handle.stream_complete()
        self.log.append(("complete", stream))
        stream.complete = True
        self.active.remove(stream)
        final = stream.text if stream.pushes else None
        self.record(Sent("complete", stream, None, final, stream.text, stream.pushes))
        self.ended = not self.active
        self.applied = len(self.sent)

    async def restart(self) -> None:
        reason = self.draw(st.sampled_from(REASONS))
        reset = self.draw(st.booleans())
        await self.streamer.stream_restart(reason)
        if reset:
            self.streamer.reset_active()
        self.log.append(("restart", reason, reset))
        event("restart" if reset else "restart, the streams go on")
        self.record(Sent("restart", None, cumulative=reason))
        for stream in self.active:
            if reset:
                stream.retired, stream.reason = True, reason
                continue
            if stream.pushes:  # values() observers had chunks the restart takes back
                for consumer in self.consumers:
                    if consumer.target is stream and consumer.voided is None:
                        consumer.voided = (reason, stream.text)
            # It goes on with a new value: the producer writes it afresh.
            stream.text, stream.pushes, stream.written = "", 0, 0
        if reset:
            self.active.clear()
        self.since_restart.clear()
        self.applied = len(self.sent)

    async def end(self) -> None:
        if self.draw(st.integers(0, 2)) == 0:
            self.error = RuntimeError("the model call failed")
            await self.streamer.stream_error(self.error)
            self.log.append(("error", None))
            self.ended = True
            event("ended with an error")
            return
        if not self.active:
            stream = await self.register()
            if self.draw(st.booleans()):
                await self.push(stream)
        while self.active:
            await self.complete(self.draw_active())
        assert self.ended

    def record_push(self, stream: ModelStream, chunk: str) -> None:
        self.log.append(("push", stream, chunk))
        stream.text += chunk
        stream.pushes += 1
        self.record(Sent("partial", stream, chunk, stream.text, stream.text, stream.pushes))

    def record(self, sent: Sent) -> None:
        if sent.stream is not None:
            self.since_restart.setdefault(sent.stream, None)
            sent.stream.last = sent
        self.sent.append(sent)

    async def read_structured_values(self) -> None:
        """Take the structured values from a consumer of every message from the first.

        The same operations go to a Streamer that keeps its whole history, read
        in cumulative form once it ended: each position's value of a structured
        stream is the snapshot every other consumer must agree with.
        """
        reference = Streamer(history=None)
        handles: dict[ModelStream, ValueStreamer] = {}
        for op in self.log:
            if op[0] == "register":
                stream = op[1]
                handles[stream] = reference.get_value_streamer(
                    stream.name,
                    stream_delta=stream.delta,
                    response_model=None if stream.card is None else Card,
                )
            elif op[0] == "push":
                handles[op[1]].on_next(op[2])
            elif op[0] == "complete":
                handles[op[1]].on_completed()
            elif op[0] == "restart":
                await reference.stream_restart(op[1])
                if op[2]:
                    reference.reset_active()
            else:
                await reference.stream_error(RuntimeError("the model call failed"))
        read: list[StreamContent] = []
        try:
            async for message in reference.messages(delta=False):
                read.append(message)
        except RuntimeError:
            assert self.error is not None
        else:
            assert self.error is None
        assert [message.seq for message in read] == list(range(len(self.sent)))
        for sent, message in zip(self.sent, read, strict=True):
            if sent.stream is not None and sent.stream.card is not None:
                sent.cumulative = message.value
            assert sent.key(False) == (message.type, message.name, message.value)

    # The consumers.

    def consume(self, late: bool = False) -> None:
        kind = self.draw(st.sampled_from(["aiter", "messages", "rx", "values", "wire"]))
        consumer = Consumer(kind, late=late, applied=self.applied)
        self.consumers.append(consumer)
        if kind == "values":
            self.follow_values(consumer)
        elif kind == "wire":
            after = self.draw(st.none() | st.integers(-1, self.applied - 1))
            wire = follow_the_wire(consumer, self.streamer, after)
            self.tasks.append(asyncio.ensure_future(wire))
        elif kind == "rx":
            self.streamer.subscribe(consumer.take_message, consumer.fail, consumer.complete)
            consumer.trim_point = trim_point(consumer.messages)
            consumer.head = head(consumer.messages)
        else:
            self.start_iterating(consumer)

    def start_iterating(self, consumer: Consumer) -> None:
        replayed = replay(self.streamer)
        consumer.trim_point, consumer.head = trim_point(replayed), head(replayed)
        if consumer.kind == "aiter":
            iterator = aiter(self.streamer)
        else:
            after = self.draw(st.none() | st.integers(-1, self.applied - 1))
            consumer.delta = self.draw(st.none() | st.booleans())
            iterator = self.streamer.messages(after=after, delta=consumer.delta)
            consumer.after = -1 if after is None else after
        self.tasks.append(asyncio.ensure_future(iterate(consumer, iterator)))

    def follow_values(self, consumer: Consumer) -> None:
        consumer.name = name = self.draw(st.sampled_from([*NAMES, NEVER]))
        latest = self.by_name.get(name)
        if latest is not None and not latest.retired:
            consumer.target = latest
        elif not self.ended:
            self.awaiting.setdefault(name, []).append(consumer)
        self.streamer.values(name).subscribe(consumer.take_chunk, consumer.fail, consumer.complete)

    async def finish(self) -> None:
        for _ in range(self.draw(st.integers(0, 3))):
            self.consume(late=True)
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=30)
            for task in pending:
                task.cancel()
            assert not pending, "an iterating consumer did not end after the Streamer did"
            for task in self.tasks:
                task.result()

    # The checks.

    def check(self) -> None:
        for consumer in self.consumers:
            assert consumer.problems == [], consumer
            if consumer.kind == "values":
                self.check_values(consumer)
            elif consumer.kind == "wire":  # it read from the first message, in two parts
                self.check_rebuilt(consumer.messages, -1, consumer)
                self.check_end_remote(consumer.error, consumer)
            else:
                self.check_messages(consumer)

    async def check_whole_readers(self) -> None:
        """The display's snapshot and a Redis base, read once the Streamer ended."""
        board = snapshot(self.streamer)
        for stream in self.by_name.values():
            value = self.values(False)
            shown = [v for (name, v, _) in value if name == stream.name]
            if stream in self.since_restart and not stream.retired and shown and shown[-1]:
                assert board.panels[stream.name].value == shown[-1], (stream.name, board)
        reader = RecordReader(self.streamer)
        folded = CatchUp()
        while not reader.done:
            for record in await reader.read(None):
                folded.fold(record)
        read, error = await replicate(folded.records())
        self.check_rebuilt(read, -1, "the Redis base")
        self.check_end_remote(error, "the Redis base")

    def check_rebuilt(self, messages: list[StreamContent], after: int, who: object) -> None:
        """Each stream's value rebuilt from ``messages``, after the messages up to ``after``."""
        had = [self.sent[seq].key(None) for seq in range(after + 1)]
        assert rebuild(had + keys(messages), None) == self.values(None), who

    def check_end_remote(self, error: Exception | None, who: object) -> None:
        if self.error is None:
            assert error is None, who
        else:
            assert isinstance(error, RemoteStreamError), who
            assert str(self.error) in str(error), who

    def check_messages(self, consumer: Consumer) -> None:
        messages, delta, sent = consumer.messages, consumer.delta, self.sent
        retained = consumer.trim_point
        if self.history is None:
            assert retained == 0, "a Streamer that keeps every message trimmed"
        else:
            assert consumer.head - retained >= min(self.history, consumer.head)
        start = consumer.after + 1
        if start < retained:  # it starts before the retained history: the catch-up first
            event(f"the catch-up, for {consumer.kind} (delta={delta})")
            caught = self.catch_up(retained - 1, delta)
            assert keys(messages[: len(caught)]) == caught, consumer
            seqs = [message.seq for message in messages[: len(caught)]]
            assert seqs == [None] * (len(caught) - 1) + [retained - 1], consumer
            exact, start = messages[len(caught) :], retained
        else:
            exact = messages
        assert [message.seq for message in exact] == list(range(start, len(sent))), consumer
        assert keys(exact) == [sent[seq].key(delta) for seq in range(start, len(sent))]
        # A consumer resuming after a position had the messages up to it.
        had = [sent[seq].key(delta) for seq in range(consumer.after + 1)]
        assert rebuild(had + keys(messages), delta) == self.values(delta), consumer
        if consumer.kind == "rx":  # the replay is synchronous
            assert consumer.head >= consumer.applied, consumer
        self.check_end(consumer)

    def check_values(self, consumer: Consumer) -> None:
        target = consumer.target
        if target is None:
            assert consumer.chunks == [], consumer
            assert isinstance(consumer.error, ValueError), consumer
            assert consumer.name in str(consumer.error)
            return
        if consumer.voided is not None:  # the stream went on after a restart
            reason, text = consumer.voided
            assert "".join(consumer.chunks) == text, consumer
            assert isinstance(consumer.error, StreamRestartedError), consumer
            assert (consumer.error.name, consumer.error.reason) == (target.name, reason)
            event("values() ended by a restart the stream went on after")
            return
        assert "".join(consumer.chunks) == target.text, consumer
        event(f"values() of a {target.name} stream")
        if target.complete:
            assert consumer.ended == "completed", consumer
        elif target.retired:
            assert isinstance(consumer.error, StreamRestartedError), consumer
            assert (consumer.error.name, consumer.error.reason) == (target.name, target.reason)
        else:
            assert self.error is not None
            self.check_end(consumer)

    def check_end(self, consumer: Consumer) -> None:
        if self.error is None:
            assert consumer.ended == "completed", consumer
        else:
            assert consumer.ended == "failed", consumer
            assert consumer.error is self.error, consumer

    def values(self, delta: bool | None) -> list[Value]:
        """Each stream's value since the last restart, as a consumer in ``delta`` mode has it."""
        values: list[Value] = []
        for stream in self.since_restart:
            value: str | None
            if stream.delta if delta is None else delta:
                value = stream.text
            elif stream.card is None:
                value = stream.text if stream.pushes else None
            else:
                assert stream.last is not None
                value = stream.last.cumulative
                if stream.complete and stream.written >= len(stream.card.model_dump_json()):
                    assert value is not None  # the whole JSON was written: its final value
                    assert Card.model_validate_json(value) == stream.card
            values.append((stream.name, value, stream.complete))
        return values

    def catch_up(self, last: int, delta: bool | None) -> list[Key]:
        """The catch-up for the messages up to position ``last``, in ``delta`` mode."""
        latest: dict[ModelStream, Sent] = {}
        for sent in self.sent[: last + 1]:
            if sent.stream is None:
                latest.clear()
            else:
                latest[sent.stream] = sent
        caught: list[Key] = [CATCH_UP]
        for stream, sent in latest.items():
            done = sent.kind == "complete"
            if not (stream.delta if delta is None else delta):
                caught.append((sent.kind, stream.name, sent.cumulative))
                continue
            if sent.pushes:
                caught.append(("partial", stream.name, sent.text))
            if done:
                caught.append(("complete", stream.name, None))
        return caught


async def run_scenario(data: st.DataObject) -> None:
    history = data.draw(st.sampled_from([0, 3, 8, None]), label="history")
    scenario = Scenario(data, history, data.draw(st.booleans(), label="stream_delta"))
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        await scenario.step()
    await scenario.end()
    await scenario.finish()
    await scenario.read_structured_values()
    scenario.check()
    await scenario.check_whole_readers()
    event(f"{len(scenario.sent) // 100 * 100}+ messages")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_consumer_gets_every_message_whenever_it_starts(data: st.DataObject) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run_scenario(data))
    finally:
        left = asyncio.all_tasks(loop)  # consumers of a failed example
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.close()
