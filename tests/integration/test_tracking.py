"""Job tracking: one commit per stage, "running" from Redis, failures recorded on their own."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dramatiq
import orjson
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text

from pipeline.jobstate import running_marker
from tests.conftest import ADMIN_KEY, load_fixture
from tests.integration.conftest import wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"


def _post(client: TestClient, fixture: str) -> str:
    response = client.post(INGEST, json=load_fixture(fixture))
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


@pytest.fixture
def worker_sql(worker: dramatiq.Worker) -> Iterator[Counter[str]]:
    """Counts what the workers' engine sends: commits, `ops` statements, autocommit ones."""
    from workers.broker import get_engine

    engine, counts = get_engine(), Counter[str]()

    def statement(conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if " ops." in f" {sql}":
            counts["ops statements"] += 1
        if conn.get_isolation_level() == "AUTOCOMMIT":
            counts["autocommit statements"] += 1

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    yield counts
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "commit", commit)


def test_each_stage_commits_its_status_with_its_rows(
    client: TestClient, worker_sql: Counter[str]
) -> None:
    wait_job(client, _post(client, "payloads/proxycurl_b.json"))  # registers the slug
    worker_sql.clear()
    job = wait_job(client, _post(client, "payloads/clay_a.json"))
    assert job["status"] == "succeeded"
    # store_raw, extract_profile, sync_core (companies commit first, then the person): the
    # status of each stage is one statement inside its commit, nothing more.
    assert worker_sql == {"commits": 4, "ops statements": 3}
    assert [(e["stage"], e["event"]) for e in job["history"]] == [
        ("store_raw", "succeeded"),
        ("extract_profile", "succeeded"),
        ("sync_core", "succeeded"),
    ]
    for stage in job["stages"]:
        assert (stage["status"], stage["attempts"]) == ("succeeded", 1)
        assert stage["started_at"] <= stage["finished_at"]


def test_a_failed_attempt_is_recorded_although_its_stage_rolled_back(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    poison = """
    CREATE FUNCTION core.hq_test_poison() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'poisoned stage for a test'; END $$;
    CREATE TRIGGER hq_test_poison BEFORE INSERT ON core.people
    FOR EACH ROW EXECUTE FUNCTION core.hq_test_poison();
    """
    with engine.begin() as conn:
        conn.execute(text(poison))
    job = wait_job(client, _post(client, "payloads/proxycurl_b.json"))
    assert (job["status"], job["stage"]) == ("dead", "sync_core")
    sync = {s["stage"]: s for s in job["stages"]}["sync_core"]
    assert (sync["status"], sync["attempts"]) == ("dead", 3)  # HQ_MAX_RETRIES=2
    assert "poisoned stage" in sync["error"]
    events = [e["event"] for e in job["history"] if e["stage"] == "sync_core"]
    assert events == ["retrying", "retrying", "dead"]  # no success slipped in
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM core.people")).scalar_one() == 0


def test_running_comes_from_the_attempt_in_flight(
    client: TestClient, worker: dramatiq.Worker, redis_url: str, namespace: str
) -> None:
    """A worker marks the attempt it runs in Redis; no row exists until the stage commits."""
    from workers.transport import running_key

    job_id = str(uuid.uuid4())
    started = datetime.now(UTC)
    marker = running_marker(
        kind="person_profile", stage="store_raw", seq=1, attempt=2, started_at=started
    )
    client_redis = redis.Redis.from_url(redis_url)
    client_redis.set(running_key(namespace, job_id), orjson.dumps(marker), ex=60)
    body = client.get(f"/jobs/{job_id}").json()
    assert (body["status"], body["stage"], body["kind"]) == (
        "running",
        "store_raw",
        "person_profile",
    )
    assert [(s["stage"], s["status"], s["attempts"]) for s in body["stages"]] == [
        ("store_raw", "running", 2)
    ]

    # After a real run the last marker is still there, and the record wins over it.
    done = wait_job(client, _post(client, "payloads/proxycurl_b.json"))
    kept = orjson.loads(client_redis.get(running_key(namespace, done["job_id"])) or b"null")
    assert kept["stage"] == "sync_core"
    assert client.get(f"/jobs/{done['job_id']}").json()["status"] == "succeeded"


def test_the_console_job_page_shows_the_stage_in_flight(
    client: TestClient, worker: dramatiq.Worker, redis_url: str, namespace: str
) -> None:
    from workers.transport import running_key

    job = wait_job(client, _post(client, "payloads/proxycurl_b.json"))
    # A redelivery of its last stage, started after the recorded attempt, is in flight.
    marker = running_marker(
        kind="person_profile", stage="sync_core", seq=3, attempt=1, started_at=datetime.now(UTC)
    )
    redis.Redis.from_url(redis_url).set(
        running_key(namespace, job["job_id"]), orjson.dumps(marker), ex=60
    )
    assert client.get(f"/jobs/{job['job_id']}").json()["status"] == "running"
    login = client.post("/dashboard/login", data={"key": ADMIN_KEY}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get(f"/dashboard/jobs/{job['job_id']}")
    assert page.status_code == 200
    assert 'data-status="running"' in page.text
