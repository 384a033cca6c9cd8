"""The broker, result backend and database engine the actors use, built from settings.

`setup_broker()` builds a RedisBroker (on real Redis when `REDIS_URL` is set, otherwise on an
in-process fakeredis server) with hq-ingest's middleware, and makes it dramatiq's global
broker so `@dramatiq.actor` binds to it. Nothing here talks to Redis or PostgreSQL until
a message is sent or processed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, CurrentMessage, ShutdownNotifications, TimeLimit
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend
from sqlalchemy import Engine

from pipeline import store
from schemas.settings import Settings, get_settings
from workers.middleware import GuardedRetries, Tracking

#: A stage that runs longer than this is interrupted and retried.
STAGE_TIME_LIMIT_MS = 120_000

#: Lookup results live this long in Redis; the gateway reads them within its wait.
RESULT_TTL_MS = 10 * 60 * 1000


def redis_client(settings: Settings) -> redis.Redis:
    """The Redis client: REDIS_URL, or the process's embedded fakeredis server."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, health_check_interval=30)
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


def async_redis_client(settings: Settings) -> Any:
    """The asyncio client the gateway uses, on the same server as `redis_client`."""
    if settings.redis_url:
        import redis.asyncio

        return redis.asyncio.Redis.from_url(settings.redis_url, health_check_interval=30)
    import fakeredis

    return fakeredis.FakeAsyncRedis(server=embedded_server())


class HqRedisBroker(RedisBroker):
    """RedisBroker whose idle consumers poll at most every `poll_ms`.

    Dramatiq's Redis consumer backs off exponentially up to the worker timeout (1 s by
    default, not settable from `dramatiq workers`) when a queue is empty, which adds up to
    a second per stage to a quiet chain and ruins lookup latency.
    """

    def __init__(self, *, poll_ms: int, **options: Any) -> None:
        super().__init__(**options)
        self.poll_ms = poll_ms

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        return super().consume(queue_name, prefetch, min(timeout, self.poll_ms))


def build_broker(settings: Settings, *, client: redis.Redis | None = None) -> RedisBroker:
    """A RedisBroker with status tracking, durable dead letters and guarded retries."""
    client = client if client is not None else redis_client(settings)
    broker = HqRedisBroker(
        poll_ms=settings.poll_ms,
        client=client,
        namespace=settings.queue_namespace,
        heartbeat_timeout=settings.heartbeat_timeout_ms,
        maintenance_chance=settings.maintenance_chance,
        middleware=[],
    )
    # Order matters: `after_*` hooks run in reverse, so Tracking (first) sees the outcome
    # only after GuardedRetries has decided between retry and death.
    broker.add_middleware(Tracking(engine_factory=get_engine))
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
    return broker


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
        settings.database_url, pool_size=settings.db_pool_size, application_name="hq-worker"
    )
