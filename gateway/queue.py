"""Non-blocking enqueue for the gateway, on the same Redis layout as dramatiq's RedisBroker.

`dramatiq.Actor.send` blocks on a synchronous Redis call, which a FastAPI app would have to
push to a thread pool per request. This module builds the very message `send` would build
and runs dramatiq's own `dispatch.lua` "enqueue" command over `redis.asyncio`, so a 202 costs
one awaited round trip. An integration test proves a real worker consumes these messages.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import dramatiq
import orjson
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import ResultFailure
from redis.asyncio import Redis

#: dramatiq's enqueue/fetch/ack script, read from the installed package so both sides agree.
DISPATCH_LUA = (Path(dramatiq.__file__).parent / "brokers" / "redis" / "dispatch.lua").read_text()

#: Lua max stack dramatiq would compute; unused by the "enqueue" command but part of the args.
_UNUSED_MAX_UNPACK = 1000


class Enqueuer:
    """Sends actor messages and waits on lookup results without blocking the event loop."""

    def __init__(self, broker: RedisBroker, client: Redis, *, namespace: str) -> None:
        self.broker = broker
        self.client = client
        self.namespace = namespace
        self._dispatch = client.register_script(DISPATCH_LUA)

    async def send(self, actor: dramatiq.Actor[Any, Any], **kwargs: Any) -> dramatiq.Message[Any]:
        """Enqueue `actor(**kwargs)`; returns the message (its id is the result key)."""
        message = actor.message_with_options(kwargs=kwargs)
        message = message.copy(options={"redis_message_id": str(uuid4())})
        self.broker.emit_before("enqueue", message, None)
        await self._dispatch(
            keys=[self.broker.namespace],
            args=[
                "enqueue",
                int(time.time() * 1000),
                message.queue_name,
                self.broker.broker_id,
                self.broker.heartbeat_timeout,
                self.broker.dead_message_ttl,
                0,
                _UNUSED_MAX_UNPACK,
                message.options["redis_message_id"],
                message.encode(),
            ],
        )
        self.broker.emit_after("enqueue", message, None)
        return message

    async def wait_result(self, message: dramatiq.Message[Any], *, timeout_ms: int) -> Any:
        """The actor's result within `timeout_ms`, else raise `TimeoutError`.

        Reads the key dramatiq's RedisBackend writes, with a float BLMOVE timeout (the
        backend's own blocking get rounds down to whole seconds).
        """
        from workers.broker import result_backend

        backend = result_backend(self.broker)
        key = backend.build_message_key(message)
        timeout: Any = timeout_ms / 1000  # Redis ≥ 6 takes fractional seconds
        data = await self.client.blmove(key, key, timeout, "RIGHT", "LEFT")
        if data is None:
            raise TimeoutError(message.message_id)
        result = backend.unwrap_result(backend.encoder.decode(data))
        if isinstance(result, ResultFailure):
            raise result
        return result

    async def remember(self, key: str, job_id: str, *, window_s: int) -> str | None:
        """Map a de-duplication key to a job for `window_s`; returns an earlier job if any."""
        if window_s <= 0:
            return None
        full = f"{self.namespace}:dedup:{key}"
        previous = await self.client.set(full, job_id, nx=True, ex=window_s, get=True)
        if isinstance(previous, bytes):
            return previous.decode()
        return previous if isinstance(previous, str) else None

    async def forget(self, key: str) -> None:
        """Drop a de-duplication key whose job could not be enqueued."""
        await self.client.delete(f"{self.namespace}:dedup:{key}")

    async def note_queued(self, job_id: str, meta: dict[str, Any], *, ttl_s: int) -> None:
        """Remember an accepted job until a worker creates its row, for `GET /jobs/{id}`."""
        await self.client.set(f"{self.namespace}:queued:{job_id}", orjson.dumps(meta), ex=ttl_s)

    async def queued(self, job_id: str) -> dict[str, Any] | None:
        """What `note_queued` stored, if the job has not reached a worker yet."""
        data = await self.client.get(f"{self.namespace}:queued:{job_id}")
        return orjson.loads(data) if data else None


def content_key(route: str, body: bytes, *, scope: str) -> str:
    """A de-duplication key from the exact request: same route, key scope and body bytes."""
    digest = hashlib.sha256()
    for part in (route.encode(), b"\0", scope.encode(), b"\0", body):
        digest.update(part)
    return "sha256:" + digest.hexdigest()


def idempotency_key(route: str, header: str, *, scope: str) -> str:
    """A de-duplication key from the client's `Idempotency-Key` header."""
    return "idem:" + hashlib.sha256(f"{route}\0{scope}\0{header}".encode()).hexdigest()
