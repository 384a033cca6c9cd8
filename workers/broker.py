"""The broker, result backend and database engine the actors use, built from settings.

`setup_broker()` builds a RedisBroker (on real Redis when `REDIS_URL` is set, otherwise on an
in-process fakeredis server) with hq-ingest's middleware, and makes it dramatiq's global
broker so `@dramatiq.actor` binds to it. Nothing here talks to Redis or PostgreSQL until
a message is sent or processed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from uuid import uuid4

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    CurrentMessage,
    Middleware,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend
from sqlalchemy import Engine

from pipeline import store
from schemas.settings import Settings, get_settings
from workers import callbacks, encoder, observe
from workers.middleware import Tracking
from workers.queues import LOOKUP_QUEUE, PollIntervals, SkipQueues, WakingConsumer, skip_list
from workers.retry_policy import GuardedRetries

#: A stage that runs longer than this is interrupted and retried.
STAGE_TIME_LIMIT_MS = 120_000

#: Lookup results live this long in Redis; the gateway reads them within its wait.
RESULT_TTL_MS = 10 * 60 * 1000

#: How long a broker command keeps retrying while Redis is unreachable (a restart, a
#: failover) before it raises. Dramatiq drops a consumer's in-memory delayed messages on
#: the first connection error, so riding out short outages here keeps them.
REDIS_PATIENCE_MS = 30_000

#: The dispatch command that only runs maintenance (dispatch.lua maintains before it looks at
#: the command, and ignores a command it does not know).
MAINTAIN = "maintain"

log = logging.getLogger("hq.workers")


def redis_client(settings: Settings) -> redis.Redis:
    """The Redis client: REDIS_URL, or the process's embedded fakeredis server."""
    if settings.redis_url:
        return redis.Redis.from_url(
            settings.redis_url, health_check_interval=30, socket_connect_timeout=5
        )
    client: redis.Redis = embedded_redis()
    return client


@lru_cache
def embedded_server() -> Any:
    """One in-process Redis-compatible server per process, for a zero-setup first run."""
    import fakeredis

    return fakeredis.FakeServer()


def embedded_redis() -> Any:
    """A synchronous client of the embedded server."""
    import fakeredis

    return fakeredis.FakeRedis(server=embedded_server())


def async_redis_client(settings: Settings, *, max_connections: int | None = None) -> Any:
    """An asyncio client for the gateway, on the same server as `redis_client`.

    `max_connections` bounds its pool (redis-py's default is 100); past it a command raises
    `redis.exceptions.MaxConnectionsError`.
    """
    if settings.redis_url:
        import redis.asyncio

        return redis.asyncio.Redis.from_url(
            settings.redis_url, health_check_interval=30, max_connections=max_connections
        )
    import fakeredis

    return fakeredis.FakeAsyncRedis(server=embedded_server())


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


class Maintenance(Middleware):
    """Runs `HqRedisBroker.maintain` on a timer in each worker process.

    With a heartbeat timeout T and this interval T/3, a killed worker's messages are back on
    their queues between T and 4T/3 after its last heartbeat, whatever the traffic. The timer
    also keeps this worker's heartbeat fresh while all its threads are busy.
    """

    def __init__(self, *, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self._stops: dict[int, threading.Event] = {}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        stop = self._stops[id(worker)] = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(broker, stop), name="hq-maintenance", daemon=True
        )
        thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        stop = self._stops.pop(id(worker), None)
        if stop is not None:
            stop.set()

    def _run(self, broker: dramatiq.Broker, stop: threading.Event) -> None:
        while not stop.wait(self.interval_ms / 1000):
            try:
                if isinstance(broker, HqRedisBroker):
                    broker.maintain()
            except Exception as err:
                log.warning("maintenance pass failed: %r", err)


def maintenance_interval_ms(heartbeat_timeout_ms: int) -> int:
    """A third of the heartbeat timeout, so a live worker is never mistaken for a dead one."""
    return max(500, heartbeat_timeout_ms // 3)


def build_broker(settings: Settings, *, client: redis.Redis | None = None) -> RedisBroker:
    """A RedisBroker with status tracking, durable dead letters and guarded retries."""
    encoder.install()
    client = client if client is not None else redis_client(settings)
    broker = HqRedisBroker(
        poll_ms=poll_intervals(settings),
        client=client,
        namespace=settings.queue_namespace,
        heartbeat_timeout=settings.heartbeat_timeout_ms,
        maintenance_chance=settings.maintenance_chance,
        middleware=[],
    )
    # Order matters: `after_*` hooks run in reverse, so Tracking (first) sees the outcome
    # only after GuardedRetries has decided between retry and death.
    broker.add_middleware(Tracking(engine_factory=get_engine))
    broker.add_middleware(
        Maintenance(interval_ms=maintenance_interval_ms(settings.heartbeat_timeout_ms))
    )
    broker.add_middleware(AgeLimit(max_age=settings.max_age_ms))
    broker.add_middleware(TimeLimit(time_limit=STAGE_TIME_LIMIT_MS))
    broker.add_middleware(ShutdownNotifications())
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(
        GuardedRetries(
            max_retries=settings.max_retries,
            min_backoff=settings.min_backoff_ms,
            max_backoff=settings.max_backoff_ms,
        )
    )
    backend = RedisBackend(client=client, namespace=f"{settings.queue_namespace}-results")
    broker.add_middleware(Results(backend=backend, result_ttl=RESULT_TTL_MS))
    # Callbacks reads what Tracking committed (so it goes first); StageMetrics reads what
    # GuardedRetries decided (so it goes before it).
    broker.add_middleware(callbacks.Callbacks(engine_factory=get_engine), before=Tracking)
    broker.add_middleware(observe.StageMetrics(), before=GuardedRetries)
    broker.add_middleware(observe.LogSetup(log_format=settings.log_format))
    broker.add_middleware(observe.Warmup())
    broker.add_middleware(SkipQueues(skip_list(settings.worker_skip_queues)))
    return broker


def poll_intervals(settings: Settings) -> PollIntervals:
    """Idle polls from settings: none on the lookup queue (it blocks), slow on delay queues."""
    return PollIntervals(
        stage_ms=settings.poll_ms,
        delay_ms=settings.delay_poll_ms,
        queue_ms={LOOKUP_QUEUE: settings.lookup_poll_ms},
        blocking=frozenset({LOOKUP_QUEUE} if settings.redis_url else ()),
        block_stages=settings.blocking_stage_queues and bool(settings.redis_url),
    )


def setup_broker(settings: Settings | None = None, *, client: Any = None) -> RedisBroker:
    """Build the broker and make it the global one (and rebind already-declared actors)."""
    broker = build_broker(settings or get_settings(), client=client)
    previous = dramatiq.get_broker() if _has_global_broker() else None
    dramatiq.set_broker(broker)
    if previous is not None:
        for name in previous.get_declared_actors():
            actor = previous.get_actor(name)
            actor.broker = broker
            broker.declare_actor(actor)
    return broker


def _has_global_broker() -> bool:
    return dramatiq.broker.global_broker is not None


def result_backend(broker: dramatiq.Broker) -> RedisBackend:
    """The Results middleware's backend, for callers that wait on a lookup."""
    for middleware in broker.middleware:
        if isinstance(middleware, Results):
            backend: RedisBackend = middleware.backend
            return backend
    raise LookupError("the broker has no Results middleware")


@lru_cache
def get_engine() -> Engine:
    """The workers' engine, from DATABASE_URL; tests clear this cache after changing it."""
    settings = get_settings()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (hq-ingest serve sets it for embedded runs)")
    return store.make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        application_name="hq-worker",
        pre_ping=False,
    )
