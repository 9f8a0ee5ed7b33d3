"""kavalai.telemetry: OpenTelemetry for a Streamer, its streams and its consumers.

Needs the ``otel`` extra (``pip install 'kavalai[otel]'``): the OpenTelemetry
API only; the application sets up the SDK and its exporters. Nothing is
measured unless :func:`instrument` is called for a Streamer, and a Streamer
that is not instrumented pays one attribute test per message and per read.

:func:`instrument` gives a Streamer:

* a span, ``kavalai.streamer``, from the call to the Streamer's end, with its
  streams (``kavalai.streams``, and a ``kavalai.stream`` event for each, with
  its mode, chunks and bytes), its restarts (``kavalai.restart`` events), how
  it ended (``kavalai.ending``; an error sets ``error.type`` and the status),
  and, for a provider adapter's answer (the ``finish`` stream of
  :mod:`kavalai.providers`), the GenAI attributes ``gen_ai.response.finish_reasons``,
  ``gen_ai.usage.input_tokens`` and ``gen_ai.usage.output_tokens``, beside the
  ``gen_ai.operation.name``, ``gen_ai.provider.name`` and ``gen_ai.request.model``
  given to it;
* per stream, the GenAI client metrics for streaming (semantic conventions
  1.41): ``gen_ai.client.operation.time_to_first_chunk`` (seconds from the
  call to the stream's first chunk) and ``gen_ai.client.operation.time_per_output_chunk``
  (recorded once per stream, its mean time per chunk after the first: a
  record per chunk would cost more than the push), ``gen_ai.client.token.usage``
  from the ``finish`` stream, and ``kavalai.stream.chunks`` and
  ``kavalai.stream.bytes`` counters, each with ``kavalai.stream.name``;
* per consumer (each ``async for``, ``messages()`` or paced reader, the web
  responses' included), ``kavalai.consumer.time_to_first_message`` and
  ``kavalai.consumer.lag``: the longest it was behind the producer, from a
  message's push to its take, recorded once it has read the Streamer's last
  message (or stopped reading).

Every metric carries the attributes given to :func:`instrument`. To tell each
consumer's lag, the telemetry keeps the time of every message's push: 8 bytes a
message, for the Streamer's life.
"""

from __future__ import annotations

from .._extras import missing_extra

try:
    import opentelemetry.metrics  # noqa: F401  (here to name the missing extra first)
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.telemetry", "the OpenTelemetry API", "otel") from error

from ._instrument import StreamerTelemetry, instrument

__all__ = ["StreamerTelemetry", "instrument"]
