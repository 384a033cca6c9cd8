"""`GET /metrics`: Prometheus text for the gateway, the workers and the queues.

- `hq_requests_accepted_total{route}` counts 202 answers (counted by `AcceptedCounter`).
- `hq_stage_*` and `hq_callbacks_total` come from the workers (`workers.observe`). Web and
  worker processes are separate, so give them all one empty `PROMETHEUS_MULTIPROC_DIR` (per
  host, emptied at deploy; `hq-ingest serve` uses `HQ_DATA_DIR/metrics`): each process
  writes its values there and this endpoint adds them up (prometheus_client's
  multiprocess mode).
- `hq_queue_messages{queue,state}` is read from Redis at scrape time: `ready` messages
  waiting in a stage queue, `in_progress` ones taken by a worker, `delayed` retries waiting
  for their time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.deps import AdminDep, Services, ServicesDep
from workers import names, transport

log = logging.getLogger("hq.gateway")

router = APIRouter(tags=["health"])

ACCEPTED = Counter("hq_requests_accepted", "Requests answered 202 (queued), by route", ["route"])

#: Queue depth states, in the order they are shown.
QUEUE_STATES = ("ready", "in_progress", "delayed")


class AcceptedCounter:
    """ASGI middleware that counts 202 answers per route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == 202:
            route = scope.get("route")
            ACCEPTED.labels(getattr(route, "path", scope["path"])).inc()


async def queue_depths(services: Services) -> list[dict[str, Any]]:
    """Messages per stage queue: ready, in progress (taken by a worker) and delayed retries."""
    queues = names.QUEUES
    ns = services.settings.queue_namespace
    pipe = services.redis.pipeline(transaction=False)
    for queue in queues:
        pipe.llen(transport.queue_key(ns, queue))
        pipe.hlen(transport.messages_key(ns, queue))
        pipe.hlen(transport.messages_key(ns, transport.delay_queue(queue)))
    values = await pipe.execute()
    depths = []
    for i, queue in enumerate(queues):
        ready, stored, delayed = (int(v) for v in values[3 * i : 3 * i + 3])
        depths.append(
            {
                "queue": queue,
                "ready": ready,
                "in_progress": max(stored - ready, 0),
                "delayed": delayed,
            }
        )
    return depths


class _Snapshot:
    """A collector that yields metrics computed just before the scrape."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def _queue_metric(depths: list[dict[str, Any]]) -> Metric:
    gauge = GaugeMetricFamily(
        "hq_queue_messages", "Messages in each stage queue, by state", labels=["queue", "state"]
    )
    for depth in depths:
        for state in QUEUE_STATES:
            gauge.add_metric([depth["queue"], state], depth[state])
    return gauge


def process_registry(services: Services) -> Any:
    """Every process's metrics in multiprocess mode, else this process's own."""
    if services.settings.prometheus_multiproc_dir is None:
        return REGISTRY
    registry = CollectorRegistry()
    path = str(services.settings.prometheus_multiproc_dir)
    multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    return registry


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (admin key)")
async def metrics(services: ServicesDep, _admin: AdminDep) -> Response:
    """Counters and histograms of every process, and queue depths read now."""
    snapshot = CollectorRegistry(auto_describe=False)
    try:
        snapshot.register(_Snapshot([_queue_metric(await queue_depths(services))]))
    except Exception as err:  # Redis down: the rest of the metrics still answer
        log.warning("queue depths not read for /metrics: %r", err)
    body = generate_latest(process_registry(services)) + generate_latest(snapshot)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
