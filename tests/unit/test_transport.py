"""Tripwire: `workers.transport` copies dramatiq's Redis layout; fail loudly when it moves.

An upgrade of dramatiq that changes `dispatch.lua` or the keys a queue lives under would
leave the gateway writing messages no worker reads. These tests pin both: the script by
its hash, the layout by what dramatiq's own `RedisBroker` writes and reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from importlib.metadata import version
from typing import Any

import dramatiq
import fakeredis
import pytest
from dramatiq.brokers.redis import RedisBroker

from workers import transport


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
def broker(server: fakeredis.FakeServer) -> RedisBroker:
    """dramatiq's own broker, untouched by ours, on a fresh namespace."""
    client = fakeredis.FakeRedis(server=server)
    broker = RedisBroker(client=client, namespace=f"trip-{uuid.uuid4().hex[:8]}", middleware=[])
    broker.declare_queue("q")
    return broker


def _actor(broker: RedisBroker) -> dramatiq.Actor[Any, Any]:
    return dramatiq.actor(lambda **_: None, broker=broker, actor_name="trip", queue_name="q")


def test_dispatch_script_is_the_one_the_transport_was_written_against() -> None:
    digest = hashlib.sha256(transport.DISPATCH_LUA.encode()).hexdigest()
    assert digest == transport.DISPATCH_LUA_SHA256, (
        f"dramatiq {version('dramatiq')} changed dispatch.lua: check ACCEPT_LUA and the "
        "key layout in workers/transport.py against it, then update DISPATCH_LUA_SHA256"
    )


def test_the_installed_dramatiq_is_in_the_pinned_release_line() -> None:
    assert version("dramatiq").startswith("2.2."), "pyproject.toml pins dramatiq 2.2.x"


def test_dramatiq_enqueues_under_the_keys_the_transport_names(broker: RedisBroker) -> None:
    actor = _actor(broker)
    message = actor.send(n=1)
    redis_id = message.options["redis_message_id"]
    ns, client = broker.namespace, broker.client
    assert client.lrange(transport.queue_key(ns, "q"), 0, -1) == [redis_id.encode()]
    assert client.hget(transport.messages_key(ns, "q"), redis_id) == message.encode()
    delayed = actor.send_with_options(kwargs={"n": 2}, delay=60_000)
    delay_hash = transport.messages_key(ns, transport.delay_queue("q"))
    assert client.hexists(delay_hash, delayed.options["redis_message_id"])


def test_dramatiq_consumes_what_the_transport_accepts(
    server: fakeredis.FakeServer, broker: RedisBroker
) -> None:
    actor = _actor(broker)
    enqueuer = transport.Enqueuer(
        broker, fakeredis.FakeAsyncRedis(server=server), namespace=broker.namespace
    )
    intake = transport.Intake(dedup=None, window_s=0, marker={"status": "queued"}, marker_ttl_s=60)

    async def accept_then_send() -> None:
        assert await enqueuer.accept(actor, intake, job_id="j1", n=1) is None
        await enqueuer.send(actor, job_id="j2", n=2)

    asyncio.run(accept_then_send())
    # The gateway fetches nothing: it never joins the workers' heartbeats (see SEND_LUA).
    assert broker.client.zcard(f"{broker.namespace}:__heartbeats__") == 0
    consumer = broker.consume("q", prefetch=2, timeout=100)
    received = [next(consumer), next(consumer)]
    assert [m.kwargs for m in received] == [{"job_id": "j1", "n": 1}, {"job_id": "j2", "n": 2}]
    assert {m.actor_name for m in received} == {"trip"}
    consumer.close()
