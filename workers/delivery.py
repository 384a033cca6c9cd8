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

import logging
import time
from functools import lru_cache
from typing import Any

import httpx
from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from pipeline import callbacks
from pipeline.store import dashboard, ops
from pipeline.strict import whole_number
from schemas.callbacks import Target, UnsafeUrl, parse_target
from schemas.settings import get_settings
from workers import names, retry_policy
from workers.broker import get_engine
from workers.callbacks import ACTOR, load_spec
from workers.declare import actor
from workers.observe import CALLBACKS

log = logging.getLogger("hq.callbacks")

#: How long one POST may take.
TIMEOUT_S = 10.0

#: How long a delivery waits for a slot under the rate limit before it re-queues itself.
SLOT_WAIT_S = 1.0

#: Longest `Retry-After` honoured (s); a larger one counts as none (the backoff applies).
_MAX_RETRY_AFTER_S = 24 * 3600

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


@actor(names.DELIVER_CALLBACK, max_retries=3)
def deliver_callback(job: str, attempt: int = 1) -> None:
    """POST the outcome of `job` to its callback (try number `attempt`).

    Whatever a try raises counts as a failed try: it is recorded, and the next try is
    scheduled or, after the last one, the callback ends `failed`. A delivery never stays
    `pending` because of an error nobody foresaw.
    """
    try:
        _deliver(job, attempt)
    except Exception as err:
        log.warning("callback of job %s, attempt %d raised %s", job, attempt, type(err).__name__)
        _conclude(job, attempt, "retry", type(err).__name__, 0)  # no str(err): it may quote the URL


def _deliver(job: str, attempt: int) -> None:
    settings = get_settings()
    broker: Any = deliver_callback.bound().broker
    spec = load_spec(broker.client, broker.namespace, job)
    if spec is None:
        _record(job, callbacks.FAILED, "the callback's details expired; nothing sent")
        return
    try:
        target = parse_target(spec["url"])
    except UnsafeUrl as err:
        _record(job, callbacks.FAILED, f"the callback URL {err}; nothing sent")
        return
    if not callbacks.allowed(target, settings.callback_hosts):
        _record(
            job, callbacks.FAILED, f"host {target.host} is not in HQ_CALLBACK_HOSTS; nothing sent"
        )
        return
    if not _take_slot(_limiter(broker, settings.callback_rate_per_s)):
        deliver_callback.send_with_options(
            kwargs={"job": job, "attempt": attempt}, delay=PACE_DELAY_MS
        )
        return
    _attempt(job, attempt, target, spec)


def _attempt(job: str, attempt: int, target: Target, spec: dict[str, Any]) -> None:
    """One POST to exactly `target.url`; records its outcome and schedules the next try."""
    with get_engine().connect() as conn:
        row = dashboard.job_row(conn, job_id=job)
    if row is None:
        return
    body = callbacks.payload(row, linkedin_url=spec.get("linkedin_url"))
    headers = {callbacks.AUTH_HEADER_NAME: spec["token"]} if spec.get("token") else {}
    url = httpx.URL(target.url)
    if url.host != target.host:  # the client must read the URL as the allow-list did
        _record(job, callbacks.FAILED, "the callback URL reads two ways; nothing sent")
        return
    retry_after_ms = 0
    try:
        response = _http().post(url, json=body, headers=headers)
        verdict, error = callbacks.outcome(response.status_code), f"HTTP {response.status_code}"
        retry_after = whole_number(response.headers.get("retry-after"), hi=_MAX_RETRY_AFTER_S)
        retry_after_ms = (retry_after or 0) * 1000
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
