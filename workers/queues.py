"""Which queues a worker process consumes, and how often it polls each when idle.

Dramatiq gives every queue and every delay queue (`<queue>.DQ`, retries and delayed
sends) a consumer thread that polls Redis while the queue is empty. Stage queues poll every
`HQ_POLL_MS`; delay queues, whose messages wait out a backoff of half a second or more
anyway, about once a second. The lookup queue, where a gateway request waits, does not poll
at all when idle: its consumer blocks in Redis until a message id arrives (`WakingConsumer`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import Middleware

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
