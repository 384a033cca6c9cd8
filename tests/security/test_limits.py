"""Body size and per-key rate limits, on the real gateway with real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.security import BodyLimit, RateLimiter
from schemas.settings import Settings
from tests.security.conftest import ADMIN, KeyFactory, bearer

pytestmark = pytest.mark.integration

INGEST = "/run/people/clay-native/person-profile/ingest"
MISSING_JOB = "/jobs/00000000-0000-0000-0000-000000000000"


@pytest.fixture
def small_app(settings: Settings) -> FastAPI:
    """The gateway with a 4 KiB body limit and 3 requests a minute per key."""
    limited = settings.model_copy(update={"max_body_bytes": 4096, "rate_limit_per_minute": 3})
    return create_app(limited)


@pytest.fixture
def small(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as client:
        yield client


def _profile(size: int) -> bytes:
    """A valid ingest body of exactly `size` bytes."""
    head, tail = b'{"raw_payload": {"bio": "', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


# --- body size -------------------------------------------------------------------------------


def test_a_declared_oversize_body_is_413_in_the_error_shape(small: TestClient) -> None:
    response = small.post(INGEST, content=_profile(4097), headers=ADMIN)
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": "the request body is larger than 4096 bytes",
            "field": "body",
        }
    }


def test_a_body_at_the_limit_is_read(small: TestClient) -> None:
    body = _profile(4096)
    response = small.post(
        INGEST, content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text


def test_a_streamed_body_without_length_is_counted(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"raw_payload": {"bio": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    response = small.post(
        INGEST, content=chunks(), headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_a_stranger_is_refused_before_the_body_is_read(small: TestClient) -> None:
    assert small.post(INGEST, content=b"x" * 100_000).status_code == 401


def test_the_body_limit_stops_reading_at_the_limit_and_never_calls_the_app() -> None:
    """At the ASGI level: chunks without a Content-Length, one byte over the limit."""
    reached = []
    received = 0
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope)

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 60, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimit(app, max_bytes=100)(scope, receive, send))
    assert reached == []
    assert received == 2
    assert sent[0]["status"] == 413


def test_the_body_limit_replays_a_body_in_chunks_whole() -> None:
    seen: list[bytes] = []
    parts = [b"ab", b"cd", b""]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        assert message["more_body"] is False

    async def receive() -> dict[str, Any]:
        chunk = parts.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing to send")

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimit(app, max_bytes=100)(scope, receive, send))
    assert seen == [b"abcd"]


# --- rate limit ------------------------------------------------------------------------------


def test_the_fourth_request_in_a_minute_is_429_with_retry_after(small: TestClient) -> None:
    statuses = [small.get(MISSING_JOB, headers=ADMIN).status_code for _ in range(3)]
    assert statuses == [404, 404, 404]
    refused = small.get(MISSING_JOB, headers=ADMIN)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20  # one request every 20 s


def test_the_limit_is_per_key(small: TestClient, make_key: KeyFactory) -> None:
    _id, other = make_key()
    for _ in range(3):
        small.get(MISSING_JOB, headers=ADMIN)
    assert small.get(MISSING_JOB, headers=ADMIN).status_code == 429
    assert small.get(MISSING_JOB, headers=bearer(other)).status_code == 404


def test_the_budget_is_shared_by_gateway_processes(settings: Settings, small: TestClient) -> None:
    """A second app on the same Redis stands for a second `web` process."""
    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    with TestClient(create_app(limited)) as second:
        assert small.get(MISSING_JOB, headers=ADMIN).status_code == 404
        assert second.get(MISSING_JOB, headers=ADMIN).status_code == 404
        assert small.get(MISSING_JOB, headers=ADMIN).status_code == 404
        assert second.get(MISSING_JOB, headers=ADMIN).status_code == 429
        assert small.get(MISSING_JOB, headers=ADMIN).status_code == 429


def test_probes_are_never_limited(small: TestClient) -> None:
    assert {small.get("/healthz").status_code for _ in range(10)} == {200}


def _limiter(redis_url: str, namespace: str, **options: Any) -> tuple[Any, RateLimiter]:
    client = redis.asyncio.Redis.from_url(redis_url)
    return client, RateLimiter(client, namespace=namespace, **options)


def test_a_waiting_key_gets_in_again_after_the_interval(redis_url: str, namespace: str) -> None:
    async def run() -> tuple[list[int], float]:
        client, limiter = _limiter(redis_url, namespace, per_minute=600, burst=2)
        try:
            waits = [await limiter.wait_seconds("k") for _ in range(3)]
            started = time.monotonic()
            while await limiter.wait_seconds("k"):
                await asyncio.sleep(0.01)
            return waits, time.monotonic() - started
        finally:
            await client.aclose()

    waits, recovered_in = asyncio.run(run())
    assert waits == [0, 0, 1]  # a burst of 2, then a 100 ms wait, rounded up to 1 s
    assert recovered_in < 1.0


def test_zero_disables_the_limit(redis_url: str, namespace: str) -> None:
    async def run() -> set[int]:
        client, limiter = _limiter(redis_url, namespace, per_minute=0)
        try:
            return {await limiter.wait_seconds("k") for _ in range(50)}
        finally:
            await client.aclose()

    assert asyncio.run(run()) == {0}


def test_an_unreachable_redis_lets_requests_through(namespace: str) -> None:
    async def run() -> int:
        client, limiter = _limiter("redis://127.0.0.1:1/0", namespace, per_minute=1)
        try:
            return await limiter.wait_seconds("k")
        finally:
            await client.aclose()

    assert asyncio.run(run()) == 0
