"""Lookup waits on their own bounded Redis client: a full wait pool answers 202, not 503."""

from __future__ import annotations

import time
from typing import Any

import dramatiq
import orjson
import pytest
import redis.exceptions
from dramatiq.brokers.redis import RedisBroker
from fastapi.testclient import TestClient
from redis.exceptions import MaxConnectionsError

from tests.unit import test_gateway
from workers.names import LOOKUP_QUEUE

client = test_gateway.client  # the fixture: gateway on an in-process fakeredis, no worker
HEADERS = {"X-API-Key": test_gateway.KEY}
TITLE_LOOKUP = "/run/people/db/person-job-title/lookup"


class FullPool:
    """A wait client whose pool has no connection left, as redis-py reports it."""

    calls = 0

    async def blmove(self, *_args: Any) -> Any:
        self.calls += 1
        raise MaxConnectionsError("Too many connections")

    async def aclose(self) -> None:
        """The app closes its wait client on shutdown."""


def _lookup(client: TestClient) -> tuple[float, Any]:
    started = time.monotonic()
    response = client.post(TITLE_LOOKUP, json={"job_title": "COO"}, headers=HEADERS)
    return time.monotonic() - started, response


def _queued_job(job_id: str) -> dict[str, Any]:
    broker = dramatiq.get_broker()
    assert isinstance(broker, RedisBroker)
    data = broker.client.get(f"unit:queued:{job_id}")
    return dict(orjson.loads(data))


def test_waits_have_a_client_of_their_own(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    assert services.enqueuer.waits is not services.enqueuer.client
    assert services.enqueuer.max_waits == services.settings.lookup_max_waits


def test_as_many_waits_as_allowed_answer_202_at_once(client: TestClient) -> None:
    enqueuer = client.app.state.services.enqueuer  # type: ignore[attr-defined]
    enqueuer.max_waits = 0  # every wait slot taken
    elapsed, response = _lookup(client)
    assert response.status_code == 202, response.text
    assert elapsed < 1.0  # not the 2 s wait
    job_id = response.json()["job_id"]
    assert _queued_job(job_id) == {"kind": "job_title_lookup"}
    [message] = test_gateway._queued(LOOKUP_QUEUE)
    assert message["actor_name"] == "lookup_job_title"
    assert message["kwargs"]["job_id"] == job_id
    assert enqueuer._waiting == 0


def test_a_full_wait_pool_answers_202_and_enqueues_still_work(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueuer = client.app.state.services.enqueuer  # type: ignore[attr-defined]
    full = FullPool()
    monkeypatch.setattr(enqueuer, "waits", full)
    elapsed, response = _lookup(client)
    assert response.status_code == 202, response.text
    assert full.calls == 1 and elapsed < 1.0
    assert enqueuer._waiting == 0
    ingest = client.post(test_gateway.INGEST, json=test_gateway.BODY, headers=HEADERS)
    assert ingest.status_code == 202


def test_redis_failing_after_the_enqueue_still_answers_202(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueuer = client.app.state.services.enqueuer  # type: ignore[attr-defined]

    async def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise redis.exceptions.ConnectionError("connection reset")

    monkeypatch.setattr(enqueuer, "waits", FullPool())
    monkeypatch.setattr(enqueuer.waits, "blmove", refused)
    monkeypatch.setattr(enqueuer, "note_queued", refused)
    _, response = _lookup(client)
    assert response.status_code == 202, response.text
    [message] = test_gateway._queued(LOOKUP_QUEUE)
    assert message["kwargs"]["job_id"] == response.json()["job_id"]
