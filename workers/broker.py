"""The broker, result backend and database engine the actors use, built from settings.

`build_broker()` builds a RedisBroker (on real Redis when `REDIS_URL` is set, otherwise on
an in-process fakeredis server) with hq-ingest's middleware and no actors: the gateway sends
through one. `setup_broker()` (a worker process, via `dramatiq workers:setup`) also makes it
dramatiq's global broker and declares every actor on it (`workers.declare`). Nothing here
runs at import, and nothing talks to Redis or PostgreSQL until a message moves.
"""

from __future__ import annotations

import importlib
import logging
import threading
from functools import lru_cache
from typing import Any

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
from workers import callbacks, declare, encoder, observe, runtime
from workers.middleware import Tracking
from workers.names import LOOKUP_QUEUE
from workers.queues import PollIntervals, SkipQueues, skip_list
from workers.retry_policy import GuardedRetries
from workers.transport import HqRedisBroker

#: A stage that runs longer than this is interrupted and retried.
STAGE_TIME_LIMIT_MS = 120_000

#: Lookup results live this long in Redis; the gateway reads them within its wait.
RESULT_TTL_MS = 10 * 60 * 1000

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
    broker.add_middleware(Tracking(engine_factory=get_engine, time_limit_ms=STAGE_TIME_LIMIT_MS))
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
    # Results publishes a lookup's answer only after Tracking has recorded it (so it goes
    # first): the gateway answers the moment it sees the result, and the caller's next
    # `GET /jobs/{id}` must find the job. Callbacks reads what Tracking committed (so it
    # goes first too); StageMetrics reads what GuardedRetries decided (so it goes before it).
    broker.add_middleware(Results(backend=backend, result_ttl=RESULT_TTL_MS), before=Tracking)
    broker.add_middleware(callbacks.Callbacks(engine_factory=get_engine), before=Tracking)
    broker.add_middleware(observe.StageMetrics(), before=GuardedRetries)
    broker.add_middleware(observe.LogSetup(log_format=settings.log_format))
    broker.add_middleware(observe.Warmup())
    broker.add_middleware(runtime.TunedGc())  # after Warmup: what it loads gets frozen
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


#: The modules that declare actors (`workers.declare.actor`); `setup_broker` imports them.
ACTOR_MODULES = (
    "workers.stages",
    "workers.leads",
    "workers.lookups",
    "workers.workflows",
    "workers.reprocess",
    "workers.importer",
    "workers.delivery",
)


def setup_broker(settings: Settings | None = None, *, client: Any = None) -> RedisBroker:
    """Build a worker's broker, make it the global one and declare every actor on it."""
    broker = build_broker(settings or get_settings(), client=client)
    dramatiq.set_broker(broker)
    for module in ACTOR_MODULES:
        importlib.import_module(module)
    declare.bind(broker)
    return broker


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
