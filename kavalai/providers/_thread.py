"""A blocking SDK stream read on a worker thread, its events handed to the event loop in order."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from pydantic import BaseModel

__all__ = ["ThreadedStream", "blocking"]

_T = TypeVar("_T")

#: How many events the worker thread may read ahead of the adapter: enough to keep
#: both busy, few enough that a slow consumer (``max_buffer``) holds the reading back.
AHEAD = 256


def blocking(source: object) -> bool:
    """Whether ``source`` is a sync stream (an SDK ``Stream``) or a sync manager that opens one."""
    if isinstance(source, str | bytes | Mapping | BaseModel):
        return False  # iterable, but of characters, keys or fields, not events
    return isinstance(source, Iterable | AbstractContextManager)


class ThreadedStream(AsyncIterator[_T], Generic[_T]):
    """Reads a sync stream on a thread of its own; ``async for`` gets its events in order.

    The thread opens the source (entering a manager such as the sync
    ``client.messages.stream(...)``, which sends the request there, off the
    event loop), reads up to :data:`AHEAD` events before the loop takes them,
    and closes the source when it ends. :meth:`aclose` stops it: a thread
    waiting for the network is woken by shutting the connection's socket (a
    blocking read does not notice the socket being closed from another
    thread), so the server sees the client leave at once.
    """

    def __init__(self, source: object) -> None:
        self._source = source
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._events: deque[_T] = deque()
        self._room = threading.Semaphore(AHEAD)
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._error: BaseException | None = None
        self._closing = False
        self._stream: object = None
        self._done = self._loop.create_future()
        self._thread = threading.Thread(target=self._read, name="kavalai-stream", daemon=True)
        self._thread.start()

    def __aiter__(self) -> ThreadedStream[_T]:
        return self

    async def __anext__(self) -> _T:
        while True:
            with self._lock:
                if self._events:
                    event = self._events.popleft()
                    self._room.release()
                    return event
                if self._ended:
                    if self._error is not None:
                        raise self._error
                    raise StopAsyncIteration
                waiter = self._waiter = self._loop.create_future()
            await waiter

    async def aclose(self) -> None:
        """Stop reading, end the HTTP request, and wait for the thread if it is ending.

        A stream read to its end is only waited for: its connection may go back
        to the client's pool.
        """
        with self._lock:
            self._closing = True
            stream, ended = self._stream, self._ended
        self._room.release()  # a thread waiting for room sees the closing at once
        if ended or _shut_down(stream):
            await asyncio.shield(self._done)
            self._thread.join()  # it has only to return now
        else:  # no socket to wake the thread with: the SDK's own close, from here
            with contextlib.suppress(Exception):
                _close(stream)

    def _read(self) -> None:
        error: BaseException | None = None
        stream: object = None
        try:
            stream = self._open()
            events: Iterator[_T] = iter(stream) if isinstance(stream, Iterable) else iter(())
            while True:
                self._room.acquire()
                if self._closing:
                    break
                try:
                    event = next(events)
                except StopIteration:
                    break
                self._hand_over(event)
        except BaseException as failure:
            error = failure  # handed to the loop, or dropped when the reading was stopped
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):
                    _close(stream)
            self._end(None if self._closing else error)

    def _open(self) -> object:
        source = self._source
        if not isinstance(source, Iterable) and isinstance(source, AbstractContextManager):
            opened: object = source.__enter__()
        else:
            opened = source
        with self._lock:
            self._stream = opened
            closing = self._closing
        if closing:  # closed while the request was being sent: end it now
            _shut_down(opened)
        return opened

    def _hand_over(self, event: _T) -> None:
        with self._lock:
            self._events.append(event)
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_wake, waiter)

    def _end(self, error: BaseException | None) -> None:
        with self._lock:
            self._ended, self._error = True, error
            waiter, self._waiter = self._waiter, None
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._settle, waiter)

    def _settle(self, waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None:
            _wake(waiter)
        if not self._done.done():
            self._done.set_result(None)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _close(stream: object) -> None:
    """The SDK's close (``close()``, or ``__exit__`` of a manager)."""
    closer = getattr(stream, "close", None)
    if callable(closer):
        closer()
    elif isinstance(stream, AbstractContextManager):
        stream.__exit__(None, None, None)


def _shut_down(stream: object) -> bool:
    """Shut the socket of the stream's HTTP response down, if it has one; whether it did.

    httpx hands the connection out as the response's ``network_stream``
    extension. The base class's ``shutdown`` leaves a TLS socket's state to the
    reading thread, which then sees the connection end. On a client made with
    ``http2=True`` the connection is shared, and its other requests end too.
    """
    response = getattr(stream, "response", None)
    extensions = getattr(response, "extensions", None)
    network = extensions.get("network_stream") if isinstance(extensions, Mapping) else None
    get_extra_info = getattr(network, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    if not isinstance(sock, socket.socket):
        return False
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:  # already closed: the thread is ending anyway
        return False
    return True
