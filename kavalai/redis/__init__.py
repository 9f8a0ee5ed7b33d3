"""kavalai.redis: Redis Streams as the log behind a Streamer, across processes and machines.

Needs the ``redis`` extra: ``pip install 'kavalai[redis]'`` (redis-py's asyncio client).

* :class:`Publisher` mirrors a Streamer into a Redis stream key, as it is
  written: each batch of :mod:`kavalai.wire` records is one ``XADD`` entry whose
  id carries the positions, so a reader resumes after any position without a
  scan. Every write it cannot make (Redis unreachable past ``give_up_seconds``,
  refused, out of memory, a key that is not its own, entries Redis lost) fails
  the Streamer with :class:`~kavalai.PublishError`, so its producer stops. A
  finished answer expires after ``ttl_seconds``.
* :func:`subscribe` gives, in any process, a Streamer that is a consumer of the
  producer's: the messages ``producer.messages(after=...)`` gives, at the
  producer's positions, then the key followed until the producer's end or
  error; a gap fails it with :class:`~kavalai.DataLostError`. Readers are
  independent (plain ``XREAD``, no consumer groups).
* :class:`RedisHub` is the web transport's hub on Redis: an answer produced by
  one worker is served and resumed by any worker as soon as it is registered,
  and a stop request on any worker reaches the producer, however soon it comes.

Entry ids are ``<n>-<k>``: ``n`` is how many positions the answer had once the
entry was written, ``k`` counts entries that added none (the end, say).
"""

from __future__ import annotations

from .._extras import missing_extra

try:
    import redis  # noqa: F401  (here to name the missing extra before any part imports it)
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.redis", "redis-py", "redis") from error

from ._hub import RedisHub
from ._publisher import Publisher
from ._reader import subscribe

__all__ = ["Publisher", "RedisHub", "subscribe"]
