"""Operators on JSON text that is still being written.

Each subscription has its own parser. Whatever goes wrong inside an operator
(a chunk that is not ``str``, text that is not JSON, a value that does not
validate, a path that does not fit) ends that subscription with ``on_error``:
the producer pushing the chunk never sees it, and later chunks are ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from .._iterate import Snapshots
from ..errors import StreamValidationError
from ..partial_json import JsonSnapshots, PartialJsonParser, PartialModelBuilder
from ._partial import Partial, mark_validated
from ._path import PathError, find_array, missing, parse_path

__all__ = ["completed_items_", "partial_json_", "typed_partials_"]

_M = TypeVar("_M", bound=BaseModel)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop, or None outside one (plain synchronous Rx use)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def partial_json_() -> Callable[[Observable[str]], Observable[str | None]]:
    def partial_json(source: Observable[str]) -> Observable[str | None]:
        def subscribe(
            observer: abc.ObserverBase[str | None], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            value = JsonSnapshots()
            last: str | None = None
            failed = False

            def on_next(chunk: str) -> None:
                nonlocal last, failed
                if failed:
                    return
                try:
                    value.feed(chunk)
                    last = value.snapshot()
                except Exception as error:
                    failed = True
                    observer.on_error(error)
                    return
                observer.on_next(last)

            def on_completed() -> None:
                if failed:
                    return
                value.end()
                shown = value.snapshot()
                if shown != last:  # the end of the text completed a number or literal
                    observer.on_next(shown)
                observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Snapshots(subscribe)

    return partial_json


def typed_partials_(
    model: type[_M], name: str, coalesce: bool = False
) -> Callable[[Observable[str]], Observable[Partial[_M]]]:
    def typed_partials(source: Observable[str]) -> Observable[Partial[_M]]:
        def subscribe(
            observer: abc.ObserverBase[Partial[_M]], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            parser = PartialJsonParser()
            builder = PartialModelBuilder(model)
            chunks: list[str] = []
            pending: list[str] = []  # coalesced chunks not read yet
            failed = False
            due: asyncio.Handle | None = None  # the coalesced partial, at the end of the turn

            def fail(errors: list[Any], truncated: bool = False) -> None:
                nonlocal failed
                failed = True
                text = "".join(chunks)
                value = parser.snapshot()
                observer.on_error(
                    StreamValidationError(
                        name, model.__name__, text, value, errors, truncated=truncated
                    )
                )

            # A model instance at run time; typed so that its fields may be missing.
            build = cast("Callable[[PartialJsonParser], Partial[_M] | None]", builder.build)

            def coalesce_chunk(chunk: str) -> None:
                nonlocal due
                if failed:
                    return
                loop = _running_loop() if isinstance(chunk, str) else None
                if loop is None:
                    read(chunk)
                    return
                # Read at the end of the turn, in one piece: the parser's cost
                # per chunk is paid once per turn.
                pending.append(chunk)
                if due is None:
                    due = loop.call_soon(read_pending)

            def read_pending() -> None:
                nonlocal due
                due = None
                read(None)

            def feed_pending() -> None:
                text = "".join(pending)
                pending.clear()
                chunks.append(text)
                parser.feed(text)

            def read(chunk: str | None) -> None:
                """Feed what is pending and ``chunk``, then emit the partial they make."""
                nonlocal failed
                if failed:
                    return
                try:
                    if pending:
                        feed_pending()
                    if chunk is not None:
                        parser.feed(chunk)  # first: it rejects what is not a str
                        chunks.append(chunk)
                    instance = build(parser)
                except RecursionError:
                    fail([f"the value is nested too deeply to build {model.__name__}"])
                    return
                except Exception as error:
                    failed = True
                    observer.on_error(error)
                    return
                if instance is not None:
                    observer.on_next(instance)

            def on_completed() -> None:
                if due is not None:  # the validated instance supersedes it
                    due.cancel()
                if failed:
                    return
                try:
                    if pending:
                        feed_pending()
                    parser.end_input()
                    if not parser.done:  # cut off or broken: the snapshot is not the answer
                        reason = parser.error or "the text ended before the JSON value did"
                        fail([reason], parser.truncated)
                        return
                    # The value as written: no need to render the snapshot again.
                    text = "".join(chunks)[parser.start : parser.end]
                    instance = mark_validated(model.model_validate_json(text))
                except ValidationError as error:
                    fail(list(error.errors()))
                    return
                except RecursionError:
                    fail([f"the value is nested too deeply to validate as {model.__name__}"])
                    return
                observer.on_next(cast("Partial[_M]", instance))  # is_validated() narrows it back
                observer.on_completed()

            def on_error(error: Exception) -> None:
                if due is not None:
                    due.cancel()
                observer.on_error(error)

            on_next = coalesce_chunk if coalesce else read
            subscription = source.subscribe(on_next, on_error, on_completed, scheduler=scheduler)

            def dispose() -> None:
                if due is not None:
                    due.cancel()
                subscription.dispose()

            return Disposable(dispose)

        return Snapshots(subscribe)

    return typed_partials


def completed_items_(
    path: str, item_model: type[BaseModel] | None, name: str
) -> Callable[[Observable[str]], Observable[Any]]:
    keys = parse_path(path)
    wanted = f"a JSON array at {path!r}" if keys else "a top-level JSON array"

    def completed_items(source: Observable[str]) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            # The parser finds the value in LLM-shaped text (prose, fences,
            # trailing words); the array is its own container, so its items are
            # exactly what json.loads makes of them.
            parser = PartialJsonParser()
            chunks: list[str] = []
            array: list[Any] | None = None
            emitted = 0
            failed = False

            def fail(
                model_name: str, value: object, errors: list[Any], truncated: bool = False
            ) -> None:
                nonlocal failed
                failed = True
                text = "".join(chunks)
                observer.on_error(
                    StreamValidationError(
                        name, model_name, text, value, errors, truncated=truncated
                    )
                )

            def emit_finished() -> bool:
                """Emit the items finished since the last call; False once failed."""
                nonlocal emitted
                while array is not None and emitted < len(array) and not failed:
                    item = array[emitted]
                    emitted += 1
                    if item_model is None:
                        observer.on_next(item)
                        continue
                    try:
                        validated = item_model.model_validate(item)
                    except ValidationError as error:
                        fail(item_model.__name__, item, list(error.errors()))
                        return False
                    observer.on_next(validated)
                return not failed

            def read(chunk: str | None) -> bool:
                """Feed a chunk (None: the end), find the array; False once failed."""
                nonlocal array, failed
                try:
                    if chunk is None:
                        parser.close()
                    else:
                        parser.feed(chunk)
                        chunks.append(chunk)
                    if array is None:
                        array = find_array(parser, keys)
                except PathError as error:
                    fail(wanted, parser.snapshot(), [str(error)])
                    return False
                except Exception as error:
                    failed = True
                    observer.on_error(error)
                    return False
                return True

            def on_next(chunk: str) -> None:
                if failed or not read(chunk) or not emit_finished():
                    return
                if parser.error is not None and not parser.done:
                    fail(wanted, parser.snapshot(), [parser.error])

            def on_completed() -> None:
                if failed or not read(None) or not emit_finished():
                    return
                if array is None:
                    fail(wanted, parser.snapshot(), [missing(parser, keys)], parser.truncated)
                elif not parser.done:
                    reason = parser.error or "the text ended before the JSON value did"
                    fail(wanted, parser.snapshot(), [reason], parser.truncated)
                else:
                    observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return completed_items
