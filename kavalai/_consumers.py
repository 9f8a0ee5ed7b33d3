"""The values of one stream, as an observable that knows the stream's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reactivex import Observable, abc

if TYPE_CHECKING:
    from ._log import Log

__all__ = ["StreamValues", "values_of"]


class StreamValues(Observable[str]):
    """The chunks of one named stream, so that an operator reading them can name it in errors."""

    def __init__(self, name: str, subscribe: Callable[..., abc.DisposableBase]) -> None:
        super().__init__(subscribe)
        self.name = name


def values_of(log: Log, name: str) -> Observable[str]:
    """The observable behind :meth:`kavalai.Streamer.values`."""

    def subscribe(
        observer: abc.ObserverBase[str], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        return log.watch_values(name, observer)

    return StreamValues(name, subscribe)
