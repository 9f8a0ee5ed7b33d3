"""RedisHub: the web transport's hub on Redis, for answers served by any worker."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from ..streamer import Streamer
from ._log import TTL_SECONDS, logger, open_key
from ._publisher import Publisher
from ._reader import subscribe

__all__ = ["RedisHub"]


class RedisHub:
    """The web transport's hub (:class:`kavalai.web.StreamHub`) on Redis.

    :meth:`register` publishes a Streamer under a new unguessable id; any
    worker's :meth:`open` follows it from Redis, with the producer's positions,
    so ``GET /streams/{id}`` resumes on any worker; :meth:`stop` on any worker
    reaches the worker that produces the answer, which closes its Streamer.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        prefix: Key prefix of the answers' streams.
        ttl_seconds: How long a finished answer stays readable.
    """

    def __init__(
        self, redis: Redis, *, prefix: str = "kavalai:", ttl_seconds: float = TTL_SECONDS
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._owned: dict[str, Streamer] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._open: dict[Streamer, contextlib.AbstractAsyncContextManager[Streamer]] = {}

    def register(self, streamer: Streamer) -> str:
        stream_id = secrets.token_urlsafe(16)
        key = self.prefix + stream_id
        self._owned[stream_id] = streamer
        publisher = Publisher(streamer, self.redis, key, ttl_seconds=self.ttl_seconds)
        task = asyncio.ensure_future(publisher.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._owned.pop(stream_id, None))
        if self._listener is None or self._listener.done():
            self._listener = asyncio.ensure_future(self._listen())
        return stream_id

    async def open(self, stream_id: str) -> Streamer | None:
        key = self.prefix + stream_id
        if not await self.redis.exists(key, open_key(key)):
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
        await self.redis.publish(self._control(stream_id), b"stop")
        return bool(await self.redis.exists(self.prefix + stream_id))

    async def aclose(self) -> None:
        """Stop listening for stop requests and wait for the publishers to finish."""
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _control(self, stream_id: str) -> str:
        return f"{self.prefix}control:{stream_id}"

    async def _listen(self) -> None:
        """Close the Streamers this worker produces when any worker asks to stop them.

        A lost connection is logged and the subscription made again, so stop
        requests keep arriving after a Redis restart.
        """
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(f"{self.prefix}control:*")
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    streamer = self._owned.get(channel.rsplit(":", 1)[-1])
                    if streamer is not None:
                        await streamer.aclose()
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as error:
                logger.warning("lost Redis while listening for stop requests: %s", error)
                await asyncio.sleep(0.5)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
