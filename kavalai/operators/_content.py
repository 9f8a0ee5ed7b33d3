"""Operators between the values of one named stream and StreamContent messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from reactivex import Observable, abc, compose
from reactivex import operators as ops

from ..content import StreamContent

__all__ = ["stream_values_", "to_stream_content_"]


def to_stream_content_(
    name: str, *, delta: bool = False
) -> Callable[[Observable[str | None]], Observable[StreamContent]]:
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


def stream_values_(name: str) -> Callable[[Observable[StreamContent]], Observable[str]]:
    def belongs(message: StreamContent) -> bool:
        return message.name == name

    def is_open(message: StreamContent) -> bool:
        return message.type != "complete"

    def carries_partial_value(message: StreamContent) -> bool:
        return message.type == "partial" and message.value is not None

    def value_of(message: StreamContent) -> str:
        return cast(str, message.value)  # carries_partial_value let only str values through

    return compose(
        ops.filter(belongs),
        ops.take_while(is_open),
        ops.filter(carries_partial_value),
        ops.map(value_of),
    )
