"""Delivery to Rx subscribers, keeping their failures away from producers.

A subscriber's callback runs inside the producer's ``stream_partial``; if it
raised there, one buggy consumer would break the producer and every other
consumer. Instead the subscriber gets ``on_error`` and is dropped.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from reactivex import abc

__all__ = ["send", "send_terminal"]

_T = TypeVar("_T")

_logger = logging.getLogger("kavalai")


def send(observer: abc.ObserverBase[_T], message: _T) -> bool:
    """Deliver one message; False if the subscriber failed and got ``on_error``."""
    try:
        observer.on_next(message)
    except Exception as error:
        _send_error(observer, error)
        return False
    return True


def send_terminal(observer: abc.ObserverBase[_T], error: Exception | None) -> None:
    """Deliver the end of the stream: ``on_error(error)``, or ``on_completed()``."""
    if error is not None:
        _send_error(observer, error)
        return
    try:
        observer.on_completed()
    except Exception:
        _logger.exception("an on_completed callback of a Streamer subscriber raised")


def _send_error(observer: abc.ObserverBase[_T], error: Exception) -> None:
    try:
        observer.on_error(error)
    except Exception:
        # The subscriber has no error handler (reactivex re-raises then) or its
        # handler failed; the producer must not receive it either way.
        _logger.exception("a Streamer subscriber failed to handle an error")
