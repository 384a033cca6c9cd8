"""Dramatiq's Redis internals, in one place: key layout, Lua scripts, consumer, broker.

Everything here depends on how dramatiq's `RedisBroker` lays out Redis (release pinned in
pyproject.toml); `tests/unit/test_transport.py` fails when an upgrade changes it:

- Key layout: a queue is the list `<ns>:<queue>` of message ids, its messages the hash
  `<ns>:<queue>.msgs`; a delay queue is the queue named `<queue>.DQ`; the ids a worker
  took sit in `<ns>:__acks__.<worker>.<queue>` until acknowledged.
- `DISPATCH_LUA` is dramatiq's own enqueue/fetch/ack script; `ACCEPT_LUA` is the gateway's
  one-round-trip ingest and `SEND_LUA` its plain send (lookups, imports), which store a
  message exactly as its "enqueue" command does.
- `Enqueuer`: async accept and send for the gateway. `dramatiq.Actor.send` blocks on a
  synchronous Redis call, which a FastAPI app would have to push to a thread pool per
  request; this builds the very message `send` would build and writes it over
  `redis.asyncio`, so a 202 costs one awaited round trip.
- `HqRedisBroker` (overrides private `RedisBroker` methods) and `WakingConsumer` (a
  subclass of dramatiq's private `_RedisConsumer`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

import dramatiq
import orjson
import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import dq_name
from dramatiq.errors import ConnectionClosed
from dramatiq.results import ResultFailure, Results
from dramatiq.results.backends import RedisBackend
from redis.asyncio import Redis
from redis.exceptions import MaxConnectionsError

from workers import autopipe, names
from workers.queues import PollIntervals

#: dramatiq's enqueue/fetch/ack script, read from the installed package so both sides agree.
DISPATCH_LUA = (Path(dramatiq.__file__).parent / "brokers" / "redis" / "dispatch.lua").read_text()

#: SHA-256 of the `dispatch.lua` this module was written against (dramatiq 2.2.1); the
#: tripwire test fails when an upgrade changes the script `ACCEPT_LUA` copies.
DISPATCH_LUA_SHA256 = "ba4d872e4fb204ebc3f73ca4719265a9946d70e847856c125314f01a8c90540c"

#: Most result waits one gateway process runs at once (`HQ_LOOKUP_MAX_WAITS` sets it).
DEFAULT_MAX_WAITS = 64

#: How long a broker command keeps retrying while Redis is unreachable (a restart, a
#: failover) before it raises. Dramatiq drops a consumer's in-memory delayed messages on
#: the first connection error, so riding out short outages here keeps them.
REDIS_PATIENCE_MS = 30_000


#: The dispatch command that only runs maintenance (dispatch.lua maintains before it looks at
#: the command, and ignores a command it does not know).
MAINTAIN = "maintain"

#: Queues whose every message is a whole batch (hundreds of payloads, seconds of work), and
#: how many of them a worker process holds at once: two (one computes while the other waits
#: on PostgreSQL), so the batches in flight spread over the processes and their cores
#: instead of one process prefetching them all under one GIL.
WHOLE_BATCH_QUEUES = frozenset({names.REPROCESS_BATCH.queue_name, names.IMPORT_PEOPLE.queue_name})
WHOLE_BATCH_PREFETCH = 2

#: Longest a `WakingConsumer` blocks in Redis before it fetches again (and notices shutdown).
BLOCK_MS = 1000

log = logging.getLogger("hq.workers")


def queue_key(namespace: str, queue_name: str) -> str:
    """The list of a queue's ready message ids."""
    return f"{namespace}:{queue_name}"


def messages_key(namespace: str, queue_name: str) -> str:
    """The hash of a queue's messages (ready and taken), by Redis message id."""
    return f"{namespace}:{queue_name}.msgs"


def delay_queue(queue_name: str) -> str:
    """The queue that holds a queue's delayed messages (retries, delayed sends)."""
    return dq_name(queue_name)


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


#: Enqueues one message, stored exactly as dispatch.lua's "enqueue" stores it (make sure
#: this stays synchronized with it), and nothing else: "enqueue" also adds the sender to
#: the workers' heartbeat set, where a gateway that fetches nothing only goes stale, and
#: every maintenance pass that finds it stale then scans Redis's whole key space (`KEYS`)
#: for its acks before dropping it, until the next send adds it again.
#: KEYS: queue list, queue's message hash. ARGV: Redis message id, message.
SEND_LUA = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
"""


class Address(Protocol):
    """Where a message goes: a `dramatiq.Actor`, or an actor's name and queue."""

    @property
    def actor_name(self) -> str: ...

    @property
    def queue_name(self) -> str: ...


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
        self._send = autopipe.for_client(client).register_script(SEND_LUA)
        self._accept = autopipe.for_client(client).register_script(ACCEPT_LUA)

    async def send(self, actor: Address, **kwargs: Any) -> dramatiq.Message[Any]:
        """Enqueue `actor(**kwargs)`; returns the message (its id is the result key)."""
        message = _message(actor, kwargs)
        ns, queue = self.broker.namespace, message.queue_name
        self.broker.emit_before("enqueue", message, None)
        await self._send(
            keys=[queue_key(ns, queue), messages_key(ns, queue)],
            args=[message.options["redis_message_id"], message.encode()],
        )
        self.broker.emit_after("enqueue", message, None)
        return message

    async def accept(
        self, actor: Address, intake: Intake, *, job_id: str, **kwargs: Any
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
                queue_key(ns, queue),
                messages_key(ns, queue),
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

    async def running(self, job_id: str) -> dict[str, Any] | None:
        """The attempt a worker last started for the job (`workers.middleware.Tracking`)."""
        data = await self.client.get(running_key(self.namespace, job_id))
        return orjson.loads(data) if data else None


def _message(actor: Address, kwargs: dict[str, Any]) -> dramatiq.Message[Any]:
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


def enqueue(broker: dramatiq.Broker, actor: Address, **kwargs: Any) -> dramatiq.Message[Any]:
    """Send `actor(**kwargs)` through `broker` by name: the broker need not declare the actor."""
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=actor.queue_name,
        actor_name=actor.actor_name,
        args=(),
        kwargs=kwargs,
        options={},
    )
    sent: dramatiq.Message[Any] = broker.enqueue(message)
    return sent


def _queued_key(namespace: str, job_id: str) -> str:
    return f"{namespace}:queued:{job_id}"


def running_key(namespace: str, job_id: str) -> str:
    """Where the attempt a worker is running for a job is kept (see `Tracking`)."""
    return f"{namespace}:running:{job_id}"


class HqRedisBroker(RedisBroker):
    """RedisBroker that polls fast, rides out Redis outages and can run maintenance on demand.

    - Idle consumers poll at most every `polls.for_queue(queue)` ms. Dramatiq's Redis
      consumer backs off exponentially up to the worker timeout (1 s by default, not
      settable from `dramatiq workers`) when a queue is empty, which adds up to a second per
      stage to a quiet chain and ruins lookup latency; delay queues keep a slow poll.
    - Every broker command retries for up to `patience_ms` while Redis is unreachable, and
      after such an outage the worker takes a new id (`new_identity`).
    - `maintain()` requeues the messages of workers whose heartbeat is older than the
      heartbeat timeout, for every queue, now (dramatiq only does so on a random sample of
      commands, and only for the queue each command touches).
    """

    def __init__(
        self,
        *,
        poll_ms: int | PollIntervals,
        patience_ms: int = REDIS_PATIENCE_MS,
        **options: Any,
    ):
        super().__init__(**options)
        self.polls = (
            poll_ms if isinstance(poll_ms, PollIntervals) else PollIntervals(poll_ms, poll_ms)
        )
        self.patience_ms = patience_ms
        self._identity_lock = threading.Lock()
        self._identity_since = 0.0

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        if queue_name in WHOLE_BATCH_QUEUES:
            prefetch = WHOLE_BATCH_PREFETCH
        poll_ms = min(timeout, self.polls.for_queue(queue_name))
        if self.polls.blocks(queue_name):
            return WakingConsumer(self, queue_name, prefetch, busy_ms=poll_ms)
        return super().consume(queue_name, prefetch, poll_ms)

    def maintain(self) -> None:
        """One maintenance pass over every declared queue and delay queue (also a heartbeat)."""
        for queue_name in sorted(self.queues | self.delay_queues):
            self.do_maintain(queue_name)

    def _should_do_maintenance(self, command: str) -> int:
        if command == MAINTAIN:
            return 1
        return int(super()._should_do_maintenance(command))

    def _dispatch(self, command: str) -> Callable[..., Any]:
        dispatch = super()._dispatch(command)

        def patient(queue_name: str, *args: Any) -> Any:
            deadline = time.monotonic() + self.patience_ms / 1000
            pause, failed_at = 0.1, None
            while True:
                try:
                    result = dispatch(queue_name, *args)
                except (redis.ConnectionError, redis.TimeoutError) as err:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise
                    log.warning(
                        "redis unreachable (%s on %s), retrying: %s", command, queue_name, err
                    )
                    failed_at = failed_at or time.monotonic()
                    time.sleep(min(pause, left))
                    pause = min(pause * 2, 2.0)
                    continue
                if failed_at is not None:
                    self.new_identity(unless_since=failed_at)
                return result

        return patient

    def new_identity(self, *, unless_since: float = 0.0) -> None:
        """Carry on as a new worker id after losing Redis, so nothing stays stranded.

        A command cut off by the outage may have run without its reply arriving (a fetch
        whose messages now sit in this worker's ack set, unknown to it), and dramatiq drops a
        consumer's delayed messages on a connection error. Once the old id's heartbeat is
        older than the timeout, maintenance returns everything it held to the queues; the
        messages that were in flight then run twice, which idempotent stages make harmless.
        Threads that saw the same outage change the id once: not again if it changed after
        `unless_since` (a monotonic time).
        """
        with self._identity_lock:
            if self._identity_since > unless_since:
                return
            old, self.broker_id = self.broker_id, str(uuid4())
            self._identity_since = time.monotonic()
        log.warning("redis came back: worker %s continues as %s", old, self.broker_id)


class WakingConsumer(_RedisConsumer):
    """A Redis consumer that waits for work in Redis rather than sleeping between polls.

    On an empty queue it runs `BLMOVE queue queue LEFT LEFT`, which moves the list's first
    message id onto itself (the list is unchanged) as soon as there is one, so it wakes
    within a round trip of an enqueue and costs nothing while idle. A message enqueued
    between the fetch and the BLMOVE finds the list non-empty, so no wake-up is lost.
    """

    def __init__(self, broker: Any, queue_name: str, prefetch: int, *, busy_ms: int) -> None:
        super().__init__(broker, queue_name, prefetch, 0)  # 0: the base class never sleeps
        self.busy_ms = busy_ms
        self.key = queue_key(broker.namespace, queue_name)

    def __next__(self) -> Any:
        message = super().__next__()
        if message is None:
            self._wait()
        return message

    def _wait(self) -> None:
        if self.outstanding_message_count >= self.prefetch:  # busy: the list is not ours yet
            time.sleep(self.busy_ms / 1000)
            return
        started = time.monotonic()
        try:
            woken = self.broker.client.blmove(self.key, self.key, BLOCK_MS / 1000, "LEFT", "LEFT")
        except redis.ConnectionError as err:
            raise ConnectionClosed(err) from None
        if woken is None and time.monotonic() - started < self.busy_ms / 1000:
            time.sleep(self.busy_ms / 1000)  # a server that does not block: poll, never spin


def result_backend(broker: dramatiq.Broker) -> RedisBackend:
    """The Results middleware's backend, for callers that wait on a lookup."""
    for middleware in broker.middleware:
        if isinstance(middleware, Results):
            backend: RedisBackend = middleware.backend
            return backend
    raise LookupError("the broker has no Results middleware")
