"""Worker-side observability: Prometheus metrics per stage, log set-up and a warm start.

- `StageMetrics` counts every stage attempt by outcome and times it; `BATCH_SIZE` and
  `BATCH_FALLBACKS` describe the micro-batches (`workers.batching`). The metrics live in
  the process's default Prometheus registry; with `PROMETHEUS_MULTIPROC_DIR` set (one
  directory shared by the web and worker processes of a host) prometheus_client writes
  them to files there and the gateway's `/metrics` adds up every process's values.
- `LogSetup` gives `dramatiq workers` processes the log format of `HQ_LOG_FORMAT`.
- `Warmup` loads the offline title and location data before the worker takes a message,
  so the first person synced in a process is not seconds slower than the rest.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import Counter, Histogram

from workers.middleware import message_job_id

log = logging.getLogger("hq.workers")

#: Stage durations, in seconds; a stage is usually tens of milliseconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

PROCESSED = Counter(
    "hq_stage_processed", "Stage attempts that finished, by outcome", ["stage", "outcome"]
)
RETRIED = Counter("hq_stage_retried", "Stage attempts that failed and were retried", ["stage"])
DEAD = Counter("hq_stage_dead", "Messages dead-lettered, by the stage that failed", ["stage"])
CALLBACKS = Counter(
    "hq_callbacks", "Callback deliveries by outcome (delivered, retrying, failed)", ["outcome"]
)
DURATION = Histogram(
    "hq_stage_duration_seconds",
    "Time one stage attempt took (successful or not)",
    ["stage"],
    buckets=DURATION_BUCKETS,
)

#: Batch sizes: powers of two up to the default `HQ_BATCH_MAX`.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 50)

BATCH_SIZE = Histogram(
    "hq_batch_size",
    "Items per micro-batch of a stage (workers.batching), fallbacks included",
    ["stage"],
    buckets=BATCH_BUCKETS,
)
BATCH_FALLBACKS = Counter(
    "hq_batch_fallbacks", "Batches whose set failed and ran one item at a time", ["stage"]
)


class StageMetrics(Middleware):
    """Counts and times each attempt of each stage.

    Its `after_*` hooks must run after `GuardedRetries` has decided between retry and death,
    so it is added before `GuardedRetries` (hooks run in reverse order).
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._local.started = time.perf_counter()

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        stage = message.actor_name
        started = getattr(self._local, "started", None)
        if started is not None:
            DURATION.labels(stage).observe(time.perf_counter() - started)
            self._local.started = None
        if exception is None:
            PROCESSED.labels(stage, "succeeded").inc()
        elif message.failed:
            PROCESSED.labels(stage, "dead").inc()
            DEAD.labels(stage).inc()
        else:
            PROCESSED.labels(stage, "retried").inc()
            RETRIED.labels(stage).inc()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if message.failed and message_job_id(message):
            DEAD.labels(message.actor_name).inc()


class LogSetup(Middleware):
    """Applies `HQ_LOG_FORMAT` in each `dramatiq workers` process once dramatiq set logging up."""

    def __init__(self, *, log_format: str) -> None:
        self.log_format = log_format

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        from workers import logs

        logs.configure(self.log_format)


class Warmup(Middleware):
    """Loads the classifiers' offline data before this worker consumes anything."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        warm_up()


def warm_up() -> float:
    """Run one title and one location classification (cached afterwards); returns seconds."""
    from pipeline import locations, titles

    started = time.perf_counter()
    titles.classify_title("Senior Software Engineer")
    locations.classify_location("San Francisco, California, United States")
    took = time.perf_counter() - started
    if took > 0.5:
        log.info("classifiers loaded in %.1f s", took)
    return took
