"""Watching the tasks that produce into a Streamer, so none ends without a word."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from .errors import IncompleteStreamError

if TYPE_CHECKING:
    from ._log import Log
    from ._stream import Stream

__all__ = ["Supervision"]


class Supervision:
    """The producers of a Log: those its Streamer started, and every task that pushed.

    A task that pushed to a value streamer and then raises while that stream is
    active fails the Streamer with the exception, however the task was started:
    otherwise the consumer would wait forever and the error would only be
    logged as "Task exception was never retrieved". Producers started with
    :meth:`start` are also checked for streams they leave incomplete.
    """

    __slots__ = ("_log", "_producers", "_started", "_watched")

    def __init__(self, log: Log) -> None:
        self._log = log
        self._producers: set[asyncio.Future[Any]] = set()  # started and still running
        self._started: set[asyncio.Future[Any]] = set()  # every producer ever started
        self._watched: set[asyncio.Future[Any]] = set()  # tasks with our done callback

    @property
    def running(self) -> bool:
        """Whether a started producer still runs (the Streamer must not end yet)."""
        return bool(self._producers)

    def start(
        self, producer: Coroutine[Any, Any, Any] | asyncio.Future[Any]
    ) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(producer)
        self._producers.add(task)
        self._started.add(task)
        self._watch(task)
        return task

    def note_feeder(self, stream: Stream, task: asyncio.Future[Any] | None) -> None:
        """Remember ``task``, the one running, as one that pushed to ``stream``."""
        if task is None or task is stream.last_feeder:
            return
        stream.last_feeder = task
        stream.feeders.add(task)
        self._watch(task)

    def cancel_running(self) -> None:
        producers, self._producers = self._producers, set()
        for task in producers:
            task.cancel()

    def cancel_all(self) -> None:
        self.cancel_running()
        self._started.clear()

    def release(self) -> None:
        """Stop watching: the Streamer ended, and tasks that live on must not keep it alive."""
        watched, self._watched = self._watched, set()
        for task in watched:
            task.remove_done_callback(self._done)
        self._started.clear()  # nor keep the tasks, and what they returned, alive

    def _watch(self, task: asyncio.Future[Any]) -> None:
        if task not in self._watched:
            self._watched.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._watched.discard(task)
        started = task in self._started
        self._producers.discard(task)
        log = self._log
        if log.closed or log.ending is not None:
            return
        log.waiting.wake()  # a reader watching for a Streamer nothing can end looks again
        error = None if task.cancelled() else task.exception()
        if error is not None:
            # KeyboardInterrupt and the like belong to the event loop.
            fed = any(task in stream.feeders for stream in log.active.values())
            if isinstance(error, Exception) and (started or fed):
                log.fail(error)
            return
        if not started:
            return  # the caller's own task: it may complete its streams later
        left_over = [stream.name for stream in log.active.values() if self._abandoned(stream)]
        if left_over:
            log.fail(IncompleteStreamError(left_over, cancelled=task.cancelled()))
        elif not log.active and not self._producers:
            log.finish("finished")

    def _abandoned(self, stream: Stream) -> bool:
        """Whether no task that could still complete ``stream`` runs.

        Tasks this Streamer did not start (the caller's own, say) are not
        supervised: a stream only they pushed to is never abandoned.
        """
        feeders = stream.feeders
        supervised = feeders & self._started
        if supervised:
            return all(task.done() for task in supervised)
        return not self._producers and all(task.done() for task in feeders)
