"""Non-blocking enqueue for the gateway, on the same Redis layout as dramatiq's RedisBroker.

`dramatiq.Actor.send` blocks on a synchronous Redis call, which a FastAPI app would have to
push to a thread pool per request. This module builds the very message `send` would build
and writes it over `redis.asyncio`: `send` runs dramatiq's own `dispatch.lua` "enqueue"
command; `accept` does what an ingest needs in one script (`ACCEPT_LUA`), so a 202 costs one
awaited round trip. Integration tests prove a real worker consumes both kinds of message.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import dramatiq
import orjson
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import ResultFailure
from redis.asyncio import Redis
from redis.exceptions import MaxConnectionsError

from gateway import autopipe

#: dramatiq's enqueue/fetch/ack script, read from the installed package so both sides agree.
DISPATCH_LUA = (Path(dramatiq.__file__).parent / "brokers" / "redis" / "dispatch.lua").read_text()

#: Most result waits one gateway process runs at once (`HQ_LOOKUP_MAX_WAITS` sets it).
DEFAULT_MAX_WAITS = 64

#: Lua max stack dramatiq would compute; unused by the "enqueue" command but part of the args.
_UNUSED_MAX_UNPACK = 1000

#: Accepts one job atomically: de-duplication, the `queued` marker, an optional extra key
#: (the job's callback) and the message, stored exactly as dispatch.lua's "enqueue" stores
#: it (make sure this stays synchronized with it). Unlike "enqueue" it does not add the
#: gateway to the workers' heartbeat set: a gateway fetches nothing, so there it was only an
#: entry for maintenance to expire. Lua does not roll back, so the de-dup key is written
#: last: if any write fails, no de-dup key outlives a job that was never queued.
#: The de-dup key holds the job id and, after a newline, the body's fingerprint (if any), so
#: a key reused with another body is told apart from a repeat.
#: KEYS: queue list, queue's message hash, queued marker, de-dup key, extra key.
#: ARGV: job id, de-dup window s (0: none), marker, marker TTL s, Redis message id, message,
#: extra value ("": none), extra TTL s, body fingerprint ("": none). Returns nil once
#: enqueued, else {earlier job id, 1 if its fingerprint differs from this body's else 0}.
ACCEPT_LUA = """
local window = tonumber(ARGV[2])
if window > 0 then
  local previous = redis.call('GET', KEYS[4])
  if previous then
    local sep = string.find(previous, '\\n', 1, true)
    if not sep then
      return {previous, 0}
    end
    local other = string.sub(previous, sep + 1) ~= ARGV[9]
    return {string.sub(previous, 1, sep - 1), other and 1 or 0}
  end
end
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
if ARGV[7] ~= '' then
  redis.call('SET', KEYS[5], ARGV[7], 'EX', ARGV[8])
end
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
redis.call('RPUSH', KEYS[1], ARGV[5])
if window > 0 then
  redis.call('SET', KEYS[4], ARGV[1] .. '\\n' .. ARGV[9], 'EX', window)
end
return false
"""


@dataclass(frozen=True)
class Intake:
    """What `Enqueuer.accept` writes beside a job's message, besides the message itself."""

    #: De-duplication key (from `content_key` or `idempotency_key`); None: never a repeat.
    dedup: str | None
    #: How long `dedup` maps to the job; 0 turns de-duplication off.
    window_s: int
    #: What `GET /jobs/{id}` shows until a worker has created the job's row.
    marker: dict[str, Any]
    marker_ttl_s: int
    #: Another key to set with the job (key, value, TTL s), e.g. its callback.
    extra: tuple[str, bytes, int] | None = None
    #: What the body must match for a repeat of `dedup` to be the same request ("": any).
    fingerprint: str = ""


@dataclass(frozen=True)
class Earlier:
    """The job an accept's de-duplication key already maps to."""

    job_id: str
    #: Whether that job was accepted for a body with another fingerprint (a reused key).
    other_body: bool


class Enqueuer:
    """Sends actor messages and waits on lookup results without blocking the event loop.

    Result waits hold a Redis connection each for up to the whole wait, so they run on
    `waits`, a client of their own with at most `max_waits` connections: a burst of slow
    lookups then answers 202 sooner, and never takes the connections enqueues need.
    """

    def __init__(
        self,
        broker: RedisBroker,
        client: Redis,
        *,
        namespace: str,
        waits: Redis | None = None,
        max_waits: int = DEFAULT_MAX_WAITS,
    ) -> None:
        self.broker = broker
        self.client = client
        self.namespace = namespace
        self.waits = waits if waits is not None else client
        self.max_waits = max_waits
        self._waiting = 0
        self._dispatch = client.register_script(DISPATCH_LUA)
        self._accept = autopipe.for_client(client).register_script(ACCEPT_LUA)

    async def send(self, actor: dramatiq.Actor[Any, Any], **kwargs: Any) -> dramatiq.Message[Any]:
        """Enqueue `actor(**kwargs)`; returns the message (its id is the result key)."""
        message = _message(actor, kwargs)
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

    async def accept(
        self, actor: dramatiq.Actor[Any, Any], intake: Intake, *, job_id: str, **kwargs: Any
    ) -> Earlier | None:
        """Enqueue `actor(job_id=job_id, **kwargs)` with `intake`, in one atomic round trip.

        Returns the earlier job `intake.dedup` maps to (then nothing is written), else None
        once the message is queued. Raises whatever Redis raises; a failed call
        leaves no de-dup key (see `ACCEPT_LUA`).
        """
        message = _message(actor, {"job_id": job_id, **kwargs})
        window = intake.window_s if intake.dedup else 0
        extra_key, extra_value, extra_ttl = intake.extra or ("", b"", 0)
        ns, queue = self.broker.namespace, message.queue_name
        self.broker.emit_before("enqueue", message, None)
        previous = await self._accept(
            keys=[
                f"{ns}:{queue}",
                f"{ns}:{queue}.msgs",
                _queued_key(self.namespace, job_id),
                f"{self.namespace}:dedup:{intake.dedup}",
                extra_key or f"{self.namespace}:unused",
            ],
            args=[
                job_id,
                max(window, 0),
                orjson.dumps(intake.marker),
                intake.marker_ttl_s,
                message.options["redis_message_id"],
                message.encode(),
                extra_value,
                extra_ttl,
                intake.fingerprint,
            ],
        )
        if previous is not None:
            earlier, other = previous
            job = earlier.decode() if isinstance(earlier, bytes) else str(earlier)
            return Earlier(job_id=job, other_body=bool(other))
        self.broker.emit_after("enqueue", message, None)
        return None

    async def wait_result(self, message: dramatiq.Message[Any], *, timeout_ms: int) -> Any:
        """The actor's result within `timeout_ms`, else raise `TimeoutError`.

        Reads the key dramatiq's RedisBackend writes, with a float BLMOVE timeout (the
        backend's own blocking get rounds down to whole seconds). With `max_waits` waits
        already running it raises `TimeoutError` at once: the job is queued all the same.
        """
        from workers.broker import result_backend

        if self._waiting >= self.max_waits:
            raise TimeoutError(message.message_id)
        backend = result_backend(self.broker)
        key = backend.build_message_key(message)
        timeout: Any = timeout_ms / 1000  # Redis ≥ 6 takes fractional seconds
        self._waiting += 1
        try:
            data = await self.waits.blmove(key, key, timeout, "RIGHT", "LEFT")
        except MaxConnectionsError:  # the wait pool is full: same as no answer in time
            raise TimeoutError(message.message_id) from None
        finally:
            self._waiting -= 1
        if data is None:
            raise TimeoutError(message.message_id)
        result = backend.unwrap_result(backend.encoder.decode(data))
        if isinstance(result, ResultFailure):
            raise result
        return result

    async def note_queued(self, job_id: str, meta: dict[str, Any], *, ttl_s: int) -> None:
        """Remember an accepted job until a worker creates its row, for `GET /jobs/{id}`."""
        await self.client.set(_queued_key(self.namespace, job_id), orjson.dumps(meta), ex=ttl_s)

    async def queued(self, job_id: str) -> dict[str, Any] | None:
        """What `note_queued` stored, if the job has not reached a worker yet."""
        data = await self.client.get(_queued_key(self.namespace, job_id))
        return orjson.loads(data) if data else None


def _message(actor: dramatiq.Actor[Any, Any], kwargs: dict[str, Any]) -> dramatiq.Message[Any]:
    """The message `actor.send(**kwargs)` would enqueue, with its Redis id.

    Built at once rather than by `message_with_options(...).copy(...)`, which gives the same
    message with one more copy.
    """
    return dramatiq.Message(
        queue_name=actor.queue_name,
        actor_name=actor.actor_name,
        args=(),
        kwargs=kwargs,
        options={"redis_message_id": str(uuid4())},
    )


def _queued_key(namespace: str, job_id: str) -> str:
    return f"{namespace}:queued:{job_id}"


def content_key(route: str, body: bytes, *, scope: str) -> str:
    """A de-duplication key from the exact request: same route, key scope and body bytes."""
    digest = hashlib.sha256()
    for part in (route.encode(), b"\0", scope.encode(), b"\0", body):
        digest.update(part)
    return "sha256:" + digest.hexdigest()


def fingerprint(body: bytes) -> str:
    """What a request reusing an `Idempotency-Key` must repeat: its exact body bytes."""
    return hashlib.sha256(body).hexdigest()


def idempotency_key(route: str, header: str, *, scope: str) -> str:
    """A de-duplication key from the client's `Idempotency-Key` header."""
    return "idem:" + hashlib.sha256(f"{route}\0{scope}\0{header}".encode()).hexdigest()
