"""RedisHub: the web transport's hub on Redis, for answers served by any worker."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from ..errors import PublishError
from ..streamer import Streamer
from ._log import TTL_SECONDS, logger
from ._publisher import Publisher
from ._reader import subscribe

__all__ = ["RedisHub"]

#: Seconds :meth:`RedisHub.open` waits for an answer registered on another
#: worker whose publisher has not written to Redis yet.
OPEN_SECONDS = 2.0


class RedisHub:
    """The web transport's hub (:class:`kavalai.web.StreamHub`) on Redis.

    :meth:`register` publishes a Streamer under a new unguessable id; any
    worker's :meth:`open` follows it from Redis, with the producer's positions,
    so ``GET /streams/{id}`` resumes on any worker; :meth:`stop` on any worker
    reaches the worker that produces the answer, which closes its Streamer.

    An id is served on every worker as soon as :meth:`register` returns: an
    id whose key is not there yet is waited for, up to ``open_seconds``,
    before it counts as unknown. A stop is never lost, however soon it comes:
    it is kept in Redis (``<prefix>stop:<id>``, for ``ttl_seconds``) as well as
    published, and the producing worker looks for it once it listens.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        prefix: Key prefix of the answers' streams.
        ttl_seconds: How long a finished answer, and a stop, stays in Redis.
        open_seconds: How long :meth:`open` waits for an id that is not in Redis yet.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "kavalai:",
        ttl_seconds: float = TTL_SECONDS,
        open_seconds: float = OPEN_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.open_seconds = open_seconds
        self._owned: dict[str, Streamer] = {}
        self._tasks: set[asyncio.Future[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._listening: asyncio.Event | None = None
        self._open: dict[Streamer, contextlib.AbstractAsyncContextManager[Streamer]] = {}

    def register(self, streamer: Streamer) -> str:
        stream_id = secrets.token_urlsafe(16)
        self._owned[stream_id] = streamer
        if self._listening is None:
            self._listening = asyncio.Event()
        if self._listener is None or self._listener.done():
            self._listener = asyncio.ensure_future(self._listen(self._listening))
        publisher = Publisher(
            streamer, self.redis, self.prefix + stream_id, ttl_seconds=self.ttl_seconds
        )
        task = asyncio.ensure_future(self._publish(stream_id, publisher, self._listening))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return stream_id

    async def open(self, stream_id: str) -> Streamer | None:
        key = self.prefix + stream_id
        # One call for any id: at once for one in Redis, after open_seconds for one that is not.
        found: Any = await self.redis.xread(
            {key: "0-0"}, count=1, block=max(1, int(self.open_seconds * 1000))
        )
        if not found:
            return None
        following = subscribe(self.redis, key, wait_seconds=self.ttl_seconds)
        streamer = await following.__aenter__()
        self._open[streamer] = following
        return streamer

    async def release(self, streamer: Streamer) -> None:
        following = self._open.pop(streamer, None)
        if following is not None:
            await following.__aexit__(None, None, None)

    async def stop(self, stream_id: str) -> bool:
        # Kept before it is published: a producer that listens too late finds it.
        pipeline = self.redis.pipeline(transaction=False)
        pipeline.set(self._stop_key(stream_id), b"1", ex=max(1, int(self.ttl_seconds)))
        pipeline.publish(self._control(stream_id), b"stop")
        pipeline.exists(self.prefix + stream_id)
        _, _, exists = await pipeline.execute()
        return bool(exists)

    async def aclose(self) -> None:
        """Stop listening for stop requests and wait for the publishers to finish."""
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _control(self, stream_id: str) -> str:
        return f"{self.prefix}control:{stream_id}"

    def _stop_key(self, stream_id: str) -> str:
        return f"{self.prefix}stop:{stream_id}"

    async def _publish(
        self, stream_id: str, publisher: Publisher, listening: asyncio.Event
    ) -> None:
        """Publish the answer; once stop requests are heard, look for one sent before."""
        watching = asyncio.ensure_future(self._stopped_before(stream_id, listening))
        try:
            # Logged, and the Streamer failed with it: its producer stops.
            with contextlib.suppress(PublishError):
                await publisher.run()
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            self._owned.pop(stream_id, None)

    async def _stopped_before(self, stream_id: str, listening: asyncio.Event) -> None:
        await listening.wait()
        await self._check_stops([stream_id])

    async def _check_stops(self, stream_ids: list[str]) -> None:
        """Close the Streamers among ``stream_ids`` whose stop is kept in Redis."""
        if not stream_ids:
            return
        kept: Any = await self.redis.mget([self._stop_key(i) for i in stream_ids])
        for stream_id, stop in zip(stream_ids, kept, strict=True):
            streamer = self._owned.get(stream_id)
            if stop is not None and streamer is not None:
                await streamer.aclose()

    async def _listen(self, listening: asyncio.Event) -> None:
        """Close the Streamers this worker produces when any worker asks to stop them.

        A lost connection is logged and the subscription made again; the stops
        kept meanwhile are then looked for, so none is lost to the outage.
        """
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(f"{self.prefix}control:*")
                while True:
                    message: Any = await pubsub.get_message(timeout=1.0)
                    if _cancelled():
                        # The client can swallow a cancellation that came while it read.
                        raise asyncio.CancelledError
                    kind = None if message is None else message.get("type")
                    if kind == "psubscribe":  # heard from now on: look for those sent before
                        listening.set()
                        await self._check_stops(list(self._owned))
                    if kind != "pmessage":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    streamer = self._owned.get(channel.rsplit(":", 1)[-1])
                    if streamer is not None:
                        await streamer.aclose()
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as error:
                listening.clear()
                logger.warning("lost Redis while listening for stop requests: %s", error)
                await asyncio.sleep(0.5)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]


def _cancelled() -> bool:
    """Whether the running task was asked to cancel."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
