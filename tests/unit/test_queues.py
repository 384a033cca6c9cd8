"""Which queues a worker consumes and how often it polls each: `workers.queues`."""

from __future__ import annotations

import time

import dramatiq
import fakeredis
import pytest
from dramatiq.brokers.stub import StubBroker

from schemas.settings import Settings
from workers import lookups
from workers.broker import poll_intervals
from workers.names import LOOKUP_QUEUE
from workers.queues import PollIntervals, SkipQueues, skip_list
from workers.transport import HqRedisBroker, WakingConsumer

POLLS = PollIntervals(stage_ms=50, delay_ms=1000, queue_ms={LOOKUP_QUEUE: 3})


@pytest.mark.parametrize(
    ("queue", "expected"),
    [("store_raw", 50), (LOOKUP_QUEUE, 3), ("store_raw.DQ", 1000), (f"{LOOKUP_QUEUE}.DQ", 1000)],
)
def test_lookups_poll_fast_and_delay_queues_slowly(queue: str, expected: int) -> None:
    assert POLLS.for_queue(queue) == expected


def test_settings_set_each_poll() -> None:
    settings = Settings(HQ_POLL_MS=40, HQ_LOOKUP_POLL_MS=2, HQ_DELAY_POLL_MS=900)
    polls = poll_intervals(settings)
    assert (polls.for_queue("sync_core"), polls.for_queue(LOOKUP_QUEUE)) == (40, 2)
    assert polls.for_queue("sync_core.DQ") == 900


def test_only_real_redis_lets_the_lookup_queue_block() -> None:
    assert poll_intervals(Settings(redis_url=None)).blocking == frozenset()
    real = Settings(redis_url="redis://127.0.0.1:6379/0")
    assert poll_intervals(real).blocking == {LOOKUP_QUEUE}


def test_stage_queues_block_unless_told_to_poll_and_delay_queues_never() -> None:
    url = "redis://127.0.0.1:6379/0"
    polls = poll_intervals(Settings(redis_url=url, HQ_BLOCKING_STAGE_QUEUES=False))
    assert (polls.blocks(LOOKUP_QUEUE), polls.blocks("sync_core")) == (True, False)
    polls = poll_intervals(Settings(redis_url=url))
    assert polls.blocks("sync_core") and not polls.blocks("sync_core.DQ")
    assert not poll_intervals(Settings(HQ_BLOCKING_STAGE_QUEUES=True)).blocks("sync_core")


def test_a_blocking_consumer_on_a_server_that_does_not_block_polls_instead_of_spinning() -> None:
    polls = PollIntervals(50, 1000, {LOOKUP_QUEUE: 20}, blocking=frozenset({LOOKUP_QUEUE}))
    broker = HqRedisBroker(
        poll_ms=polls, client=fakeredis.FakeRedis(), namespace="pq", middleware=[]
    )
    consumer = broker.consume(LOOKUP_QUEUE)
    assert isinstance(consumer, WakingConsumer)
    started = time.monotonic()
    assert next(consumer) is None
    assert time.monotonic() - started >= 0.02


def test_broker_consumers_back_off_at_most_their_queue_poll() -> None:
    broker = HqRedisBroker(
        poll_ms=POLLS, client=fakeredis.FakeRedis(), namespace="pq", middleware=[]
    )
    timeouts = {q: broker.consume(q, timeout=5000).timeout for q in ("a", LOOKUP_QUEUE, "a.DQ")}
    assert timeouts == {"a": 50, LOOKUP_QUEUE: 3, "a.DQ": 1000}
    assert broker.consume("a", timeout=20).timeout == 20  # a shorter worker timeout wins


def test_a_process_holds_at_most_two_whole_batches() -> None:
    from workers import names, transport

    broker = HqRedisBroker(
        poll_ms=POLLS, client=fakeredis.FakeRedis(), namespace="pq", middleware=[]
    )
    batches = names.REPROCESS_BATCH.queue_name, names.IMPORT_PEOPLE.queue_name
    assert {broker.consume(q, prefetch=16).prefetch for q in batches} == {
        transport.WHOLE_BATCH_PREFETCH
    }
    assert broker.consume("sync_core", prefetch=16).prefetch == 16


def test_both_lookup_actors_share_the_lookup_queue() -> None:
    assert lookups.lookup_job_title.queue_name == LOOKUP_QUEUE
    assert lookups.lookup_location.queue_name == LOOKUP_QUEUE


def test_skip_list_reads_a_comma_separated_setting() -> None:
    assert skip_list(" lookups, sync_core ,,") == {"lookups", "sync_core"}
    assert skip_list("") == frozenset()


def _consumed(skip: str, queues: set[str] | None = None) -> set[str]:
    """The consumers a worker starts on a stub broker declaring `a` and `lookups`."""
    broker = StubBroker()
    broker.add_middleware(SkipQueues(skip_list(skip)))
    for name in ("a", LOOKUP_QUEUE):
        broker.declare_queue(name)
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=1, worker_timeout=10)
    worker.start()
    try:
        return set(worker.consumers)
    finally:
        worker.stop()
        broker.close()


def test_a_worker_skips_the_queues_named_and_their_delay_queues() -> None:
    assert _consumed("") == {"a", "a.DQ", LOOKUP_QUEUE, f"{LOOKUP_QUEUE}.DQ"}
    assert _consumed(LOOKUP_QUEUE) == {"a", "a.DQ"}
    assert _consumed(LOOKUP_QUEUE, queues={"a", LOOKUP_QUEUE}) == {"a", "a.DQ"}


def test_skipping_every_queue_is_ignored_rather_than_consuming_nothing() -> None:
    assert _consumed(f"a,{LOOKUP_QUEUE}") == {"a", "a.DQ", LOOKUP_QUEUE, f"{LOOKUP_QUEUE}.DQ"}
