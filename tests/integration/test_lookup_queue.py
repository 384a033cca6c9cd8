"""The lookup queue's consumer on real Redis: it blocks while idle and wakes on an enqueue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import redis

from workers.names import LOOKUP_QUEUE
from workers.queues import PollIntervals
from workers.transport import BLOCK_MS, HqRedisBroker, WakingConsumer

pytestmark = pytest.mark.integration

POLLS = PollIntervals(50, 1000, {LOOKUP_QUEUE: 3}, blocking=frozenset({LOOKUP_QUEUE}))


@pytest.fixture
def broker(redis_url: str, namespace: str) -> Iterator[HqRedisBroker]:
    client = redis.Redis.from_url(redis_url)
    broker = HqRedisBroker(poll_ms=POLLS, client=client, namespace=namespace, middleware=[])
    broker.declare_queue(LOOKUP_QUEUE)
    yield broker
    client.close()


def _counting_fetches(broker: HqRedisBroker, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    fetches: list[int] = []
    real = broker.do_fetch

    def fetch(*args: Any) -> Any:
        fetches.append(1)
        return real(*args)

    monkeypatch.setattr(broker, "do_fetch", fetch)
    return fetches


def test_an_idle_lookup_consumer_blocks_instead_of_polling(
    broker: HqRedisBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = broker.consume(LOOKUP_QUEUE, prefetch=2)
    assert isinstance(consumer, WakingConsumer)
    fetches = _counting_fetches(broker, monkeypatch)
    started = time.monotonic()
    assert next(consumer) is None
    assert time.monotonic() - started >= 0.8 * BLOCK_MS / 1000
    assert len(fetches) == 1  # one fetch, then one blocking wait: no polls in between


def test_an_idle_lookup_consumer_wakes_within_milliseconds_of_an_enqueue(
    broker: HqRedisBroker,
) -> None:
    consumer = broker.consume(LOOKUP_QUEUE, prefetch=2)
    message = dramatiq.Message(LOOKUP_QUEUE, "lookup_job_title", (), {}, {})
    threading.Timer(0.2, broker.enqueue, args=(message,)).start()
    started = time.monotonic()
    received = next(consumer) or next(consumer)  # woken (None), then the fetch
    assert received is not None and received.message_id == message.message_id
    assert time.monotonic() - started < 0.2 + 0.1


def test_stage_queues_keep_polling(broker: HqRedisBroker) -> None:
    assert not isinstance(broker.consume("sync_core"), WakingConsumer)
    assert not isinstance(broker.consume(f"{LOOKUP_QUEUE}.DQ"), WakingConsumer)
