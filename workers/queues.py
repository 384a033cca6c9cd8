"""Which queues a worker process consumes, and how often it polls each when idle.

Dramatiq gives every queue and every delay queue (`<queue>.DQ`, retries and delayed
sends) a consumer thread that polls Redis while the queue is empty. Stage queues poll every
`HQ_POLL_MS`; delay queues, whose messages wait out a backoff of half a second or more
anyway, about once a second. The lookup queue, where a gateway request waits, does not poll
at all when idle: its consumer blocks in Redis until a message id arrives (`WakingConsumer`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import _RedisConsumer
from dramatiq.common import q_name
from dramatiq.errors import ConnectionClosed
from dramatiq.middleware import Middleware

#: The queue both lookup actors share (`workers.lookups`); the gateway waits on its results.
LOOKUP_QUEUE = "lookups"

#: Longest a `WakingConsumer` blocks in Redis before it fetches again (and notices shutdown).
BLOCK_MS = 1000

log = logging.getLogger("hq.workers")


@dataclass(frozen=True)
class PollIntervals:
    """Longest idle poll, in ms, of a stage queue, a delay queue and the named queues."""

    stage_ms: int
    delay_ms: int
    queue_ms: Mapping[str, int] = field(default_factory=dict)
    #: Queues whose idle consumer blocks in Redis instead (`WakingConsumer`); they poll at
    #: their interval only while all their worker threads are busy. Real Redis only:
    #: fakeredis does not block.
    blocking: frozenset[str] = frozenset()
    #: Whether every stage queue blocks too (`HQ_BLOCKING_STAGE_QUEUES`); delay queues never
    #: do: their consumer must wake to move due retries.
    block_stages: bool = False

    def blocks(self, queue_name: str) -> bool:
        """Whether an idle consumer of `queue_name` waits in Redis rather than polls."""
        if q_name(queue_name) != queue_name:
            return False
        return self.block_stages or queue_name in self.blocking

    def for_queue(self, queue_name: str) -> int:
        """The idle poll of `queue_name` (a delay queue polls at `delay_ms`)."""
        if q_name(queue_name) != queue_name:
            return self.delay_ms
        return self.queue_ms.get(queue_name, self.stage_ms)


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
        self.key = f"{broker.namespace}:{queue_name}"

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


def skip_list(text: str) -> frozenset[str]:
    """Queue names from a comma-separated setting (`HQ_WORKER_SKIP_QUEUES`)."""
    return frozenset(name.strip() for name in text.split(",") if name.strip())


class SkipQueues(Middleware):
    """Keeps a worker process off some queues (and their delay queues).

    `dramatiq workers --queues` can only list the queues to consume; this takes the others
    away instead, so the Procfile's main worker can leave `lookups` to its own process
    without listing every stage queue (those declared when the worker boots).
    """

    def __init__(self, skip: Iterable[str]) -> None:
        self.skip = frozenset(skip)

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not self.skip:
            return
        wanted = {q_name(q) for q in worker.consumer_whitelist or broker.get_declared_queues()}
        kept = wanted - self.skip
        if not kept:
            log.error("HQ_WORKER_SKIP_QUEUES leaves this worker no queue; ignoring it")
            return
        worker.consumer_whitelist = kept  # dramatiq matches delay queues by their queue
        log.info("this worker skips the queues %s", ", ".join(sorted(wanted & self.skip)))
