"""De-duplication on real Redis: repeats map to the first job, forced runs and expiry do not."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from pipeline import tables as t
from schemas.settings import Settings
from tests.conftest import create_key, load_fixture
from tests.integration.conftest import AUTH, drain, wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = pytest.mark.integration


def _body(i: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("payloads/pdl_a.json")
    body["linkedin_url"] = f"https://www.linkedin.com/in/dedup-{i}"
    return body


def _accept(client: TestClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = client.post(INGEST, json=body, **kwargs)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _raw_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(t.person_payloads)
        return int(conn.execute(stmt).scalar_one())


def test_same_body_twice_is_one_job_and_one_run(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    first = _accept(client, _body())
    second = _accept(client, _body())
    assert (second["job_id"], second["duplicate"]) == (first["job_id"], True)
    assert wait_job(client, first["job_id"])["status"] == "succeeded"
    drain(worker)
    assert _raw_rows(engine) == 1

    forced = _accept(client, _body(), params={"force": "true"})
    assert forced["job_id"] != first["job_id"] and forced["duplicate"] is False
    assert wait_job(client, forced["job_id"])["status"] == "succeeded"
    assert _raw_rows(engine) == 2


def test_idempotency_key_repeat_is_the_first_job(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "clay-row-17"}
    first = _accept(client, _body(1), headers=headers)
    second = _accept(client, _body(1), headers=headers)
    other_key = _accept(client, _body(1), headers={"Idempotency-Key": "clay-row-18"})
    assert (second["job_id"], second["duplicate"]) == (first["job_id"], True)
    assert other_key["job_id"] != first["job_id"]
    for job in (first["job_id"], other_key["job_id"]):
        assert wait_job(client, job)["status"] == "succeeded"
    drain(worker)
    assert _raw_rows(engine) == 2


def test_idempotency_key_reused_with_another_body_is_a_422_naming_the_first_job(
    client: TestClient,
) -> None:
    headers = {"Idempotency-Key": "clay-row-17"}
    first = _accept(client, _body(1), headers=headers)
    reused = client.post(INGEST, json=_body(2), headers=headers)
    assert reused.status_code == 422, reused.text
    error = reused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["field"] == "Idempotency-Key"
    assert first["job_id"] in error["message"]
    # the same body under the same key is still a plain repeat
    assert _accept(client, _body(1), headers=headers)["job_id"] == first["job_id"]


def test_a_repeat_answers_the_jobs_current_status(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    first = _accept(client, _body(3))
    assert first["status"] == "queued"
    assert wait_job(client, first["job_id"])["status"] == "succeeded"
    again = _accept(client, _body(3))
    assert (again["job_id"], again["duplicate"], again["status"]) == (
        first["job_id"],
        True,
        "succeeded",
    )


def test_a_failed_enqueue_leaves_no_dedup_key_and_the_retry_runs(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, redis_url: str, namespace: str
) -> None:
    # Given a message hash Redis refuses to write (WRONGTYPE), so the accept script fails
    # after its first writes: Lua does not roll those back, so the de-dup key must come last
    redis_client = redis.Redis.from_url(redis_url)
    redis_client.set(f"{namespace}:store_raw.msgs", b"not a hash")
    refused = client.post(INGEST, json=_body())
    assert refused.status_code == 503, refused.text
    assert list(redis_client.scan_iter(f"{namespace}:dedup:*")) == []
    redis_client.delete(f"{namespace}:store_raw.msgs")

    retried = _accept(client, _body())
    assert retried["duplicate"] is False
    assert wait_job(client, retried["job_id"])["status"] == "succeeded"
    drain(worker)
    assert _raw_rows(engine) == 1


def test_keys_are_scoped_to_the_api_key(client: TestClient, engine: Engine) -> None:
    _, key = create_key(engine, name="second")  # a second admin key
    first = _accept(client, _body())
    other = _accept(client, _body(), headers={"Authorization": f"Bearer {key}"})
    assert other["job_id"] != first["job_id"]


@pytest.fixture
def short_window(settings: Settings, redis_url: str, namespace: str) -> Iterator[TestClient]:
    """A gateway whose de-duplication window is one second."""
    from gateway.app import create_app

    short = settings.model_copy(update={"dedup_window_s": 1})
    with TestClient(create_app(short), headers=AUTH) as test_client:
        yield test_client


def test_repeat_after_the_window_is_a_new_job(
    short_window: TestClient, redis_url: str, namespace: str
) -> None:
    first = _accept(short_window, _body())
    assert _accept(short_window, _body())["job_id"] == first["job_id"]
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 5
    while list(client.scan_iter(f"{namespace}:dedup:*")):  # Redis expires the key
        assert time.monotonic() < deadline, "de-duplication key outlived its window"
        time.sleep(0.05)
    later = _accept(short_window, _body())
    assert (later["job_id"] != first["job_id"], later["duplicate"]) == (True, False)


def test_zero_window_turns_de_duplication_off(settings: Settings) -> None:
    from gateway.app import create_app

    off = settings.model_copy(update={"dedup_window_s": 0})
    with TestClient(create_app(off), headers=AUTH) as client:
        first = _accept(client, _body())
        second = _accept(client, _body())
    assert second["job_id"] != first["job_id"]
