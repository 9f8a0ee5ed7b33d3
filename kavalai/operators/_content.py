"""Operators between the values of one named stream and StreamContent messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from reactivex import Observable, abc

from ..content import StreamContent
from ..errors import StreamRestartedError
from ..partial_json import JsonSnapshots

__all__ = ["stream_values_", "to_stream_content_"]


def to_stream_content_(
    name: str, *, delta: bool = False, structured: bool = False
) -> Callable[[Observable[str | None]], Observable[StreamContent]]:
    if structured and not delta:
        return _structured_content(name)

    def to_stream_content(source: Observable[str | None]) -> Observable[StreamContent]:
        def subscribe(
            observer: abc.ObserverBase[StreamContent],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            last: str | None = None

            def on_next(value: str | None) -> None:
                nonlocal last
                last = value
                observer.on_next(StreamContent(type="partial", name=name, value=value))

            def on_completed() -> None:
                final = None if delta else last
                observer.on_next(StreamContent(type="complete", name=name, value=final))
                observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return to_stream_content


def _structured_content(
    name: str,
) -> Callable[[Observable[str | None]], Observable[StreamContent]]:
    """The messages of a structured value from its raw text: snapshots, then the complete value."""

    def to_stream_content(source: Observable[str | None]) -> Observable[StreamContent]:
        def subscribe(
            observer: abc.ObserverBase[StreamContent],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            value = JsonSnapshots()
            written: list[str] = []  # the text as written, needed until the value closes
            seen = False  # no chunk at all completes with no value, as a Streamer's does
            failed = False

            def on_next(chunk: str) -> None:
                nonlocal seen, failed
                if failed:
                    return
                try:
                    value.feed(chunk)  # first: it refuses what is not a str
                    snapshot = value.snapshot()
                except Exception as error:
                    failed = True
                    observer.on_error(error)
                    return
                seen = True
                if value.parser.done:
                    written.clear()
                else:
                    written.append(chunk)
                observer.on_next(StreamContent(type="partial", name=name, value=snapshot))

            def on_completed() -> None:
                if failed:
                    return
                final = value.complete(lambda: "".join(written)) if seen else None
                observer.on_next(StreamContent(type="complete", name=name, value=final))
                observer.on_completed()

            # Raw text: a None, like anything not a str, is refused by feed().
            text = cast("Observable[str]", source)
            return text.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return to_stream_content


def stream_values_(name: str) -> Callable[[Observable[StreamContent]], Observable[str]]:
    def stream_values(source: Observable[StreamContent]) -> Observable[str]:
        def subscribe(
            observer: abc.ObserverBase[str], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            emitted = False
            last: str | None = None

            def on_next(message: StreamContent) -> None:
                nonlocal emitted, last
                if message.type == "restart":
                    if emitted:  # values were shown that the restart takes back
                        observer.on_error(StreamRestartedError(name, message.value))
                elif message.name != name:
                    return
                elif message.type == "partial":
                    if message.value is not None:
                        emitted, last = True, message.value
                        observer.on_next(message.value)
                elif message.type == "complete":
                    # A cumulative value's complete message carries the final value,
                    # which the last partial may not have shown (a structured value
                    # whose snapshot was None until its end, or cut off).
                    if message.value is not None and message.value != last:
                        observer.on_next(message.value)
                    observer.on_completed()

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return stream_values
