"""`deliver_callback`: POST a final job's outcome to the Clay webhook its request named.

Paced across every worker by a Redis window rate limiter (`HQ_CALLBACK_RATE_PER_S`, Clay
takes about ten requests a second per webhook), retried with exponential backoff on network
errors, 5xx, 408/409/425/429 (honouring `Retry-After`), for up to
`HQ_CALLBACK_MAX_ATTEMPTS` tries. Each try is an event of the job (`callback_retrying`,
`callback_delivered`, `callback_failed`), which `GET /jobs/{id}` sums up as `callback`.
Retries are this actor's own (a new message per try, with `attempt` counted), so a
delivery that waits for its turn under the rate limit uses up no try.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import dramatiq
import httpx
from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from pipeline import callbacks
from pipeline.store import dashboard, ops
from schemas.settings import get_settings
from workers import retry_policy
from workers.broker import get_engine
from workers.callbacks import ACTOR, QUEUE, load_spec
from workers.observe import CALLBACKS

#: How long one POST may take.
TIMEOUT_S = 10.0

#: How long a delivery waits for a slot under the rate limit before it re-queues itself.
SLOT_WAIT_S = 1.0

#: Delay of that re-queue.
PACE_DELAY_MS = 250


@lru_cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)


def _limiter(broker: Any, per_second: int) -> WindowRateLimiter:
    backend = RedisBackend(client=broker.client)
    return WindowRateLimiter(backend, f"{broker.namespace}:callback-rate", limit=per_second)


def _take_slot(limiter: WindowRateLimiter) -> bool:
    """Wait up to `SLOT_WAIT_S` for a slot; False if none came."""
    deadline = time.monotonic() + SLOT_WAIT_S
    while True:
        with limiter.acquire(raise_on_failure=False) as acquired:
            if acquired:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _record(job: str, event: str, detail: str) -> None:
    with get_engine().begin() as conn:
        ops.record_event(conn, job_id=job, stage=ACTOR, event=event, detail=detail)
    CALLBACKS.labels(event.removeprefix("callback_")).inc()


@dramatiq.actor(queue_name=QUEUE, actor_name=ACTOR, max_retries=3)
def deliver_callback(job: str, attempt: int = 1) -> None:
    """POST the outcome of `job` to its callback (try number `attempt`)."""
    settings = get_settings()
    broker: Any = deliver_callback.broker
    spec = load_spec(broker.client, broker.namespace, job)
    if spec is None:
        _record(job, callbacks.FAILED, "the callback's details expired; nothing sent")
        return
    if not callbacks.host_allowed(spec["url"], settings.callback_hosts):
        host = callbacks.host_of(spec["url"])
        _record(job, callbacks.FAILED, f"host {host} is not in HQ_CALLBACK_HOSTS; nothing sent")
        return
    if not _take_slot(_limiter(broker, settings.callback_rate_per_s)):
        deliver_callback.send_with_options(
            kwargs={"job": job, "attempt": attempt}, delay=PACE_DELAY_MS
        )
        return
    _attempt(job, attempt, spec)


def _attempt(job: str, attempt: int, spec: dict[str, Any]) -> None:
    """One POST; records its outcome and schedules the next try if there is one."""
    with get_engine().connect() as conn:
        row = dashboard.job_row(conn, job_id=job)
    if row is None:
        return
    body = callbacks.payload(row, linkedin_url=spec.get("linkedin_url"))
    headers = {callbacks.AUTH_HEADER_NAME: spec["token"]} if spec.get("token") else {}
    retry_after_ms = 0
    try:
        response = _http().post(spec["url"], json=body, headers=headers)
        verdict, error = callbacks.outcome(response.status_code), f"HTTP {response.status_code}"
        retry_after = response.headers.get("retry-after", "")
        retry_after_ms = int(retry_after) * 1000 if retry_after.isdigit() else 0
    except httpx.HTTPError as err:
        verdict, error = "retry", type(err).__name__  # str(err) may quote the secret URL
    _conclude(job, attempt, verdict, error, retry_after_ms)


def _conclude(job: str, attempt: int, verdict: str, error: str, retry_after_ms: int) -> None:
    settings = get_settings()
    if verdict == "delivered":
        _record(job, callbacks.DELIVERED, f"attempt {attempt}: {error}")
        return
    if verdict == "give_up" or attempt >= settings.callback_max_attempts:
        _record(job, callbacks.FAILED, f"attempt {attempt}: {error}; giving up")
        return
    delay = max(
        retry_after_ms,
        retry_policy.backoff_ms(
            attempt - 1, min_backoff=settings.min_backoff_ms, max_backoff=settings.max_backoff_ms
        ),
    )
    _record(job, callbacks.RETRYING, f"attempt {attempt}: {error}; next try in {delay / 1000:g} s")
    deliver_callback.send_with_options(kwargs={"job": job, "attempt": attempt + 1}, delay=delay)
