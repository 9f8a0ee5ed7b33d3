"""Operators on plain text chunks: delta to cumulative and back."""

from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable, abc

__all__ = ["accumulate_", "to_deltas_"]


def accumulate_() -> Callable[[Observable[str]], Observable[str]]:
    def accumulate(source: Observable[str]) -> Observable[str]:
        def subscribe(
            observer: abc.ObserverBase[str], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            text = ""

            def on_next(chunk: str) -> None:
                nonlocal text
                text += chunk
                observer.on_next(text)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return accumulate


def to_deltas_() -> Callable[[Observable[str]], Observable[str]]:
    def to_deltas(source: Observable[str]) -> Observable[str]:
        def subscribe(
            observer: abc.ObserverBase[str], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            previous = ""

            def on_next(text: str) -> None:
                nonlocal previous
                if not text.startswith(previous):
                    observer.on_error(
                        ValueError(
                            f"to_deltas() got {text[:40]!r}, which does not extend the previous "
                            f"value {previous[:40]!r}; it needs append-only text, so apply it "
                            "before any operator that rewrites the value"
                        )
                    )
                    return
                delta, previous = text[len(previous) :], text
                observer.on_next(delta)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return to_deltas
