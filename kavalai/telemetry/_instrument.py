"""StreamerTelemetry: a Streamer's span, its streams' metrics and its consumers', from its watch."""

from __future__ import annotations

import json
import time
from array import array
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary, finalize, ref

from opentelemetry import metrics, trace
from opentelemetry.trace import Status, StatusCode

from .. import __version__

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from .. import LogReader, Streamer, StreamInfo

__all__ = ["StreamerTelemetry", "instrument"]

_now = time.monotonic
# The attribute names of the GenAI semantic conventions that instrument() sets.
_GIVEN = ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model")
_USAGE_KEYS = {  # the GenAI names of the token counts in each provider's usage object
    "gen_ai.usage.input_tokens": ("input_tokens", "prompt_tokens"),
    "gen_ai.usage.output_tokens": ("output_tokens", "completion_tokens"),
}


class _Stream:
    __slots__ = ("bytes", "chunks", "closed", "finish", "first", "info", "last")

    def __init__(self, info: StreamInfo) -> None:
        self.info = info
        self.closed = False
        self.chunks = 0
        self.bytes = 0
        self.first = 0.0
        self.last = 0.0
        # A provider adapter's "finish" stream: its JSON chunks, read at its end.
        self.finish: list[str] | None = [] if _is_finish(info) else None


class _Consumer:
    """One consumer's reads; the reader calls :meth:`taken` after each of its takes."""

    __slots__ = ("first", "lag", "opened", "rare", "reader", "recorded", "telemetry", "times")

    def __init__(
        self, telemetry: StreamerTelemetry, reader: LogReader, times: array[float]
    ) -> None:
        self.telemetry = telemetry
        self.reader = ref(reader)
        self.times = times  # each message's push, by position: the telemetry's own
        self.opened = _now()
        self.first: float | None = None
        self.lag = 0.0  # the longest seen, seconds from a message's push to its take
        self.rare = True  # its first take is to come, or the Streamer ended: look closer
        self.recorded = False

    def taken(self, position: int) -> None:
        lag = _now() - self.times[position - 1]
        if lag > self.lag:
            self.lag = lag
        if self.rare:
            self.telemetry._first_or_late(self, position)


class _Instruments:
    """The metric instruments, made once per meter provider."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time from the request to the first chunk of a stream",
        )
        self.time_per_output_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_per_output_chunk",
            unit="s",
            description="Time per output chunk after the first, a stream's mean",
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Input and output tokens"
        )
        self.chunks = meter.create_counter(
            "kavalai.stream.chunks", unit="{chunk}", description="Chunks pushed to a stream"
        )
        self.bytes = meter.create_counter(
            "kavalai.stream.bytes", unit="By", description="UTF-8 bytes pushed to a stream"
        )
        self.lag = meter.create_histogram(
            "kavalai.consumer.lag",
            unit="s",
            description="The longest a consumer was behind: from a message's push to its take",
        )
        self.time_to_first_message = meter.create_histogram(
            "kavalai.consumer.time_to_first_message",
            unit="s",
            description="Time from a consumer's start to its first message",
        )


class StreamerTelemetry:
    """The telemetry of one Streamer: made by :func:`instrument`, its watcher.

    Attributes:
        span: The Streamer's span, ended with the Streamer.
    """

    def __init__(
        self,
        attributes: Mapping[str, AttributeValue],
        tracer: trace.Tracer,
        instruments: _Instruments,
    ) -> None:
        self._attributes = dict(attributes)
        self._instruments = instruments
        self._start = _now()
        self.span = tracer.start_span("kavalai.streamer", attributes=self._attributes)
        self._times = array("d")  # each message's push, by position
        self._note_time = self._times.append
        self._streams: dict[int, _Stream] = {}  # by serial, in the order they appeared
        # By id(reader), each let go when its reader is: holding a reader would keep
        # it pacing the Streamer after its consumer left.
        self._consumers: dict[int, _Consumer] = {}
        self._reasons: list[str] = []
        self._usage: dict[str, int] = {}
        self._ended_at: int | None = None  # the Streamer's last position, once it ended

    def appended(
        self, position: int, kind: str, stream: StreamInfo | None, chunk: str | None
    ) -> None:
        """Note a message: its time, and a chunk's size (see :class:`kavalai.StreamerWatcher`)."""
        now = _now()
        self._note_time(now)
        if chunk is not None and stream is not None:  # the common case, short: every push
            state = self._streams.get(stream.serial)
            if state is None:
                state = self._open_stream(stream, now)
            state.chunks += 1
            state.bytes += len(chunk) if chunk.isascii() else len(chunk.encode())
            state.last = now
            if state.finish is not None:
                state.finish.append(chunk)
        elif stream is None:
            self.span.add_event("kavalai.restart", {"kavalai.position": position})
        else:
            self._close_stream(self._streams.get(stream.serial) or self._open_stream(stream, now))

    def opened(self, reader: LogReader) -> Callable[[int], None]:
        """Note a consumer's start; returns what its reader calls after each take."""
        key = id(reader)
        self._consumers[key] = consumer = _Consumer(self, reader, self._times)
        finalize(reader, self._let_go, key, consumer)
        return consumer.taken

    def _first_or_late(self, consumer: _Consumer, position: int) -> None:
        """A consumer's first message, or a take after the Streamer ended."""
        consumer.rare = self._ended_at is not None
        if consumer.first is None:
            consumer.first = now = _now()
            self._instruments.time_to_first_message.record(now - consumer.opened, self._attributes)
        if self._ended_at is not None and position == len(self._times):
            self._record_consumer(consumer)

    def ended(self, ending: str, error: Exception | None) -> None:
        """End the span, with the streams, the provider's answer and the ending."""
        self._ended_at = len(self._times)
        for state in self._streams.values():
            if not state.closed:  # retired for a retry, or cut off by the end
                self._close_stream(state)
        span = self.span
        span.set_attribute("kavalai.streams", [s.info.name for s in self._streams.values()])
        span.set_attribute("kavalai.messages", len(self._times))
        span.set_attribute("kavalai.ending", ending)
        if self._reasons:
            span.set_attribute("gen_ai.response.finish_reasons", self._reasons)
        for name, tokens in self._usage.items():
            span.set_attribute(name, tokens)
            token_type = "input" if name.endswith("input_tokens") else "output"
            self._instruments.token_usage.record(
                tokens, {**self._attributes, "gen_ai.token.type": token_type}
            )
        if error is not None:
            span.set_attribute("error.type", type(error).__qualname__)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))
        span.end()
        head = len(self._times)
        for consumer in list(self._consumers.values()):
            consumer.rare = True
            reader = consumer.reader()
            if reader is None or reader.done or reader.position == head:
                self._record_consumer(consumer)

    def _open_stream(self, stream: StreamInfo, now: float) -> _Stream:
        state = self._streams[stream.serial] = _Stream(stream)
        state.first = now
        return state

    def _close_stream(self, state: _Stream) -> None:
        state.closed = True
        instruments, info = self._instruments, state.info
        attributes = {**self._attributes, "kavalai.stream.name": info.name}
        if state.chunks:
            instruments.time_to_first_chunk.record(state.first - self._start, attributes)
            instruments.chunks.add(state.chunks, attributes)
            instruments.bytes.add(state.bytes, attributes)
        if state.chunks > 1:
            # A record per chunk would cost more than the push itself; the stream's mean.
            mean = (state.last - state.first) / (state.chunks - 1)
            instruments.time_per_output_chunk.record(mean, attributes)
        self.span.add_event(
            "kavalai.stream",
            {
                "kavalai.stream.name": info.name,
                "kavalai.stream.delta": info.delta,
                "kavalai.stream.structured": info.structured,
                "kavalai.stream.chunks": state.chunks,
                "kavalai.stream.bytes": state.bytes,
            },
        )
        if state.finish is not None:
            self._read_finish("".join(state.finish))

    def _read_finish(self, text: str) -> None:
        """Take the reason and the token usage of a provider adapter's ``Finish``."""
        try:
            finish = json.loads(text)
        except ValueError:
            return
        if not isinstance(finish, dict):
            return
        reason = finish.get("reason")
        if isinstance(reason, str):
            self._reasons.append(reason)
        usage = finish.get("usage")
        if isinstance(usage, dict):
            for name, keys in _USAGE_KEYS.items():
                tokens = next((usage[k] for k in keys if isinstance(usage.get(k), int)), None)
                if tokens is not None:
                    self._usage[name] = tokens  # for n > 1, every choice has the request's

    def _let_go(self, key: int, consumer: _Consumer) -> None:
        """A reader was collected: its consumer has read all it will."""
        if self._consumers.get(key) is consumer:
            del self._consumers[key]
        self._record_consumer(consumer)

    def _record_consumer(self, consumer: _Consumer) -> None:
        if consumer.recorded:
            return
        consumer.recorded = True
        self._instruments.lag.record(consumer.lag, self._attributes)


def instrument(
    streamer: Streamer,
    *,
    operation: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> StreamerTelemetry:
    """Trace ``streamer`` and measure its streams and consumers, with OpenTelemetry.

    Call it right before the request starts, before any producer or consumer:
    times to the first chunk count from this call.

    Args:
        streamer: The Streamer to watch (see :meth:`kavalai.Streamer.watch`).
        operation: ``gen_ai.operation.name``, such as ``"chat"``.
        provider: ``gen_ai.provider.name``, such as ``"openai"`` or ``"anthropic"``.
        model: ``gen_ai.request.model``, the model the request names.
        attributes: More attributes for the span and every metric.
        tracer_provider: Where the span goes; the global one by default.
        meter_provider: Where the metrics go; the global one by default.

    Returns:
        The Streamer's telemetry; its :attr:`~StreamerTelemetry.span` ends with the Streamer.
    """
    given: dict[str, AttributeValue] = {}
    for name, value in zip(_GIVEN, (operation, provider, model), strict=True):
        if value is not None:
            given[name] = value
    given.update(attributes or {})
    tracer = trace.get_tracer("kavalai", __version__, tracer_provider=tracer_provider)
    meter = metrics.get_meter("kavalai", __version__, meter_provider=meter_provider)
    telemetry = StreamerTelemetry(given, tracer, _instruments(meter))
    streamer.watch(telemetry)
    return telemetry


_made: WeakKeyDictionary[metrics.Meter, _Instruments] = WeakKeyDictionary()


def _instruments(meter: metrics.Meter) -> _Instruments:
    made = _made.get(meter)
    if made is None:
        made = _made[meter] = _Instruments(meter)
    return made


def _is_finish(info: StreamInfo) -> bool:
    """Whether a stream is a provider adapter's ``finish`` (``finish``, ``choice.1.finish``)."""
    return info.structured and (info.name == "finish" or info.name.endswith(".finish"))
