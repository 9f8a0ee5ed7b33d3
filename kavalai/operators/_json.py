"""Operators on JSON text that is still being written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import ijson
from pydantic import BaseModel, ValidationError
from reactivex import Observable, abc

from .._partial_json import PartialJsonParser
from .._typed import PartialModelBuilder
from ..errors import StreamValidationError

__all__ = ["completed_items_", "partial_json_", "typed_partials_"]

_M = TypeVar("_M", bound=BaseModel)


def partial_json_() -> Callable[[Observable[str]], Observable[str | None]]:
    def partial_json(source: Observable[str]) -> Observable[str | None]:
        def subscribe(
            observer: abc.ObserverBase[str | None], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            parser = PartialJsonParser()
            last: str | None = None

            def on_next(chunk: str) -> None:
                nonlocal last
                parser.feed(chunk)
                last = parser.snapshot_json()
                observer.on_next(last)

            def on_completed() -> None:
                final = parser.close()
                if final != last:  # the end of the text completed a number or literal
                    observer.on_next(final)
                observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return partial_json


def typed_partials_(model: type[_M], name: str) -> Callable[[Observable[str]], Observable[_M]]:
    def typed_partials(source: Observable[str]) -> Observable[_M]:
        def subscribe(
            observer: abc.ObserverBase[_M], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            parser = PartialJsonParser()
            builder = PartialModelBuilder(model)
            chunks: list[str] = []

            def on_next(chunk: str) -> None:
                chunks.append(chunk)
                parser.feed(chunk)
                if parser.has_value:
                    instance = builder.build(parser.snapshot(), parser.depth)
                    if instance is not None:
                        observer.on_next(instance)

            def invalid(errors: list[Any]) -> None:
                text = "".join(chunks)
                observer.on_error(
                    StreamValidationError(name, model.__name__, text, parser.snapshot(), errors)
                )

            def on_completed() -> None:
                final = parser.close()
                if not parser.done:  # cut off or broken: the snapshot is not the answer
                    invalid([parser.error or "the text ended before the JSON value did"])
                    return
                try:
                    instance = model.model_validate_json(final or "")
                except ValidationError as error:
                    invalid(list(error.errors()))
                    return
                observer.on_next(instance)
                observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return typed_partials


def completed_items_(
    path: str, item_model: type[BaseModel] | None, name: str
) -> Callable[[Observable[str]], Observable[Any]]:
    prefix = f"{path}.item" if path else "item"

    def completed_items(source: Observable[str]) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            # The parser finds where the JSON begins and ends in LLM-shaped text
            # (prose, fences, trailing words); ijson parses just that span.
            parser = PartialJsonParser()
            found: list[Any] = ijson.sendable_list()
            items = ijson.items_coro(found, prefix, use_float=True)
            fed = 0  # characters of input seen so far
            chunks: list[str] = []
            failed = False

            def fail(error: Exception) -> None:
                nonlocal failed
                failed = True
                observer.on_error(error)

            def emit_found() -> None:
                for item in found:
                    if item_model is None:
                        observer.on_next(item)
                        continue
                    try:
                        observer.on_next(item_model.model_validate(item))
                    except ValidationError as error:
                        text = "".join(chunks)
                        fail(
                            StreamValidationError(
                                name, item_model.__name__, text, item, error.errors()
                            )
                        )
                        return
                del found[:]

            def on_next(chunk: str) -> None:
                nonlocal fed
                if failed:
                    return
                chunks.append(chunk)
                was_done = parser.done
                parser.feed(chunk)
                start, end = parser.start, parser.end
                piece = ""
                if start is not None and not was_done:
                    piece = chunk[max(start - fed, 0) : len(chunk) if end is None else end - fed]
                if piece:  # ijson's C backend takes an empty send for the end of input
                    try:
                        items.send(piece.encode())
                    except ijson.JSONError as error:
                        fail(_syntax_error(name, chunks, parser, error))
                        return
                    emit_found()
                fed += len(chunk)

            def on_completed() -> None:
                if failed:
                    return
                parser.close()
                try:
                    items.close()
                except ijson.JSONError as error:
                    fail(_syntax_error(name, chunks, parser, error))
                    return
                emit_found()
                if not failed:
                    observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return completed_items


def _syntax_error(
    name: str, chunks: list[str], parser: PartialJsonParser, error: Exception
) -> StreamValidationError:
    return StreamValidationError(
        name, "JSON", "".join(chunks), parser.snapshot(), [parser.error or str(error)]
    )
