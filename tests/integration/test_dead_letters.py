"""Dead letters on real Redis + PostgreSQL: recorded, listed, inspected, replayed (HTTP and CLI).

A stage is poisoned with a trigger that makes every write to `core.people` fail, as a bad
deploy or a broken constraint would; curing it is dropping the trigger.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from pipeline import tables as t
from pipeline.store import deadletters
from schemas.settings import Settings
from tests.conftest import app_and_workers, create_key, load_fixture
from tests.integration.conftest import AUTH, drain, wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = pytest.mark.integration

POISON = """
CREATE FUNCTION core.hq_test_poison() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'poisoned stage for a test'; END $$;
CREATE TRIGGER hq_test_poison BEFORE INSERT OR UPDATE ON core.people
FOR EACH ROW EXECUTE FUNCTION core.hq_test_poison();
"""
CURE = "DROP TRIGGER hq_test_poison ON core.people; DROP FUNCTION core.hq_test_poison();"


def _sql(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql))


def _profile(i: int) -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("payloads/clay_a.json")
    body["linkedin_url"] = f"https://www.linkedin.com/in/dead-letter-{i}"
    return body


def _post(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post(INGEST, json=body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _events(job: dict[str, Any]) -> list[str]:
    return [e["event"] for e in job["history"]]


def test_poisoned_stage_dead_letters_then_bulk_replay(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    _sql(engine, POISON)
    jobs = [_post(client, _profile(i)) for i in range(3)]
    dead = [wait_job(client, j) for j in jobs]
    assert {(d["status"], d["stage"]) for d in dead} == {("dead", "sync_core")}

    page = client.get("/dead-letters", params={"stage": "sync_core"}).json()
    assert page["total"] == 3
    assert {i["job_id"] for i in page["items"]} == set(jobs)
    item = page["items"][0]
    assert {"id", "job_id", "stage", "error", "attempts", "dead_at", "replayed_at"} <= set(item)
    assert item["attempts"] == 3  # HQ_MAX_RETRIES=2 in the test settings
    assert item["reason"] == "retries_exhausted"
    assert "poisoned stage" in item["error"]
    assert item["replayed_at"] is None

    letter = client.get(f"/dead-letters/{item['id']}").json()
    assert letter["message"]["kwargs"]["job_id"] == item["job_id"]
    assert letter["actor_name"] == "sync_core"
    assert "poisoned stage" in letter["traceback"]

    # A dry run while the stage is still broken changes nothing.
    dry = client.post("/dead-letters/replay", json={"stage": "sync_core", "dry_run": True})
    assert dry.json()["count"] == 3
    assert dry.json()["ids"] == sorted(i["id"] for i in page["items"])
    assert client.get(f"/jobs/{jobs[0]}").json()["status"] == "dead"

    _sql(engine, CURE)
    result = client.post("/dead-letters/replay", json={"error": "POISONED"}).json()
    assert (result["matched"], result["count"], result["skipped"]) == (3, 3, [])
    finals = [wait_job(client, j) for j in jobs]
    assert {f["status"] for f in finals} == {"succeeded"}
    final = finals[0]
    assert final["replays"] == 1
    events = _events(final)
    assert events.index("dead") < events.index("replayed") < len(events) - 1
    assert events[-1] == "succeeded"
    stages = {s["stage"]: s for s in final["stages"]}
    assert stages["store_raw"]["attempts"] == 1  # resumed at the stage that failed
    assert stages["sync_core"]["status"] == "succeeded"
    assert _count(engine, t.person_payloads) == 3
    assert _count(engine, t.people) == 3

    again = client.post("/dead-letters/replay", json={"stage": "sync_core"}).json()
    assert again["count"] == 0
    assert {s["reason"] for s in again["skipped"]} == {"job already succeeded"}
    replayed = client.get("/dead-letters", params={"replayed": "true"}).json()
    assert [i["replay_count"] for i in replayed["items"]] == [1, 1, 1]
    assert client.get("/dead-letters", params={"replayed": "false"}).json()["total"] == 0


def test_listing_pages_and_filters(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    bodies = [_unknown_shape(i) for i in range(3)]
    for job in [_post(client, b) for b in bodies]:
        assert wait_job(client, job)["status"] == "dead"

    first = client.get("/dead-letters", params={"limit": 2}).json()
    assert (len(first["items"]), first["limit"], first["total"]) == (2, 2, 3)
    second = client.get("/dead-letters", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    assert second["next_cursor"] is None

    def total(**params: Any) -> int:
        response = client.get("/dead-letters", params=params)
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    now = datetime.now(UTC)
    assert total(error="unknownshape") == 3
    assert total(error="no such text") == 0
    assert total(stage="sync_core") == 0
    assert total(workflow_slug="dlq-mystery-vendor") == 3
    assert total(reason="permanent_error") == 3
    assert total(since=(now + timedelta(minutes=1)).isoformat()) == 0
    assert total(until=(now + timedelta(minutes=1)).isoformat()) == 3
    assert client.get("/dead-letters", params={"cursor": "x"}).status_code == 422
    assert client.get("/dead-letters/999999").status_code == 404
    assert client.post("/dead-letters/999999/replay").status_code == 404
    unfiltered = client.post("/dead-letters/replay", json={"dry_run": True})
    assert unfiltered.status_code == 422
    everything = client.post("/dead-letters/replay", json={"all": True, "dry_run": True})
    assert everything.json()["count"] == 3
    assert client.get("/dead-letters", params={"cursor": str(2**64)}).status_code == 422
    # Characters `str.isdigit()` accepts and `int()` refuses: a 422 naming the field, not a 500.
    for cursor in ("\u00b3", "0\u00b3", "\u2460", "\u0661", " 1", "1_0"):
        answer = client.get("/dead-letters", params={"cursor": cursor})
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.json()["error"]["field"] == "cursor"
    # An empty filter value is no filter: it narrows nothing, so it needs `all` to replay.
    assert total(error="", stage="  ") == 3
    for blank in ({"error": ""}, {"stage": " "}, {"ids": []}, {"workflow_slug": ""}):
        refused = client.post("/dead-letters/replay", json={**blank, "dry_run": True})
        assert refused.status_code == 422, (blank, refused.text)
        assert "all: true" in refused.json()["error"]["message"]


def test_replay_while_redis_refuses_is_503_and_changes_nothing(
    client: TestClient, worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _post(client, _unknown_shape(0))
    [letter_id] = wait_job(client, job_id)["dead_letter_ids"]

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(client.app.state.services.enqueuer.broker, "enqueue", refuse)
    response = client.post(f"/dead-letters/{letter_id}/replay")
    assert response.status_code == 503
    letter = client.get(f"/dead-letters/{letter_id}").json()
    assert (letter["replayed_at"], letter["replay_count"]) == (None, 0)
    assert client.get(f"/jobs/{job_id}").json()["status"] == "dead"


def _unknown_shape(i: int) -> dict[str, Any]:
    return {
        "linkedin_url": f"https://www.linkedin.com/in/mystery-{i}",
        "workflow_slug": "dlq-mystery-vendor",
        "raw_payload": {"vendor_blob": {"x": i}},
    }


def test_dead_letters_need_an_admin_key(client: TestClient, engine: Engine) -> None:
    _, key = create_key(engine, client_domain="acme.com", name="client")
    scoped = {"Authorization": f"Bearer {key}"}
    assert client.get("/dead-letters", headers=scoped).status_code == 403
    replay = client.post("/dead-letters/replay", json={"all": True}, headers=scoped)
    assert replay.status_code == 403
    assert client.get("/dead-letters", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_replay_that_dies_again_supersedes_and_cli_tells_the_story(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    from gateway.cli.main import app

    job_id = _post(client, _unknown_shape(0))
    assert wait_job(client, job_id)["status"] == "dead"
    runner = CliRunner()
    listing = runner.invoke(app, ["dlq", "list", "--stage", "extract_profile", "--json"])
    assert listing.exit_code == 0, listing.output
    [first] = json.loads(listing.output)["items"]
    shown = runner.invoke(app, ["dlq", "show", str(first["id"])])
    assert "UnknownShapeError" in json.loads(shown.output)["traceback"]
    dry = runner.invoke(app, ["dlq", "replay", "--stage", "extract_profile", "--dry-run"])
    assert "would replay 1" in dry.output, dry.output

    replayed = runner.invoke(app, ["dlq", "replay", str(first["id"])])
    assert replayed.exit_code == 0 and "replayed 1" in replayed.output, replayed.output
    _wait_for_letters(engine, 2)
    job = wait_job(client, job_id)
    assert job["status"] == "dead"
    assert len(job["dead_letter_ids"]) == 2
    assert _events(job).count("dead") == 2

    stale = runner.invoke(app, ["dlq", "replay", str(first["id"])])
    assert f"superseded by dead letter {job['dead_letter_ids'][1]}" in stale.output
    history = runner.invoke(app, ["jobs", "show", job_id])
    assert history.exit_code == 0
    assert "replayed" in history.output and "dead letters" in history.output
    assert runner.invoke(app, ["dlq", "replay"]).exit_code == 2  # no filter, no --all


def _wait_for_letters(engine: Engine, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _count(engine, t.dead_letters) < count:
        assert time.monotonic() < deadline, f"fewer than {count} dead letters"
        time.sleep(0.05)


def test_replaying_one_twice_does_no_harm(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    _sql(engine, POISON)
    job_id = _post(client, _profile(0))
    assert wait_job(client, job_id)["status"] == "dead"
    [letter_id] = wait_job(client, job_id)["dead_letter_ids"]
    _sql(engine, CURE)

    first = client.post(f"/dead-letters/{letter_id}/replay").json()
    second = client.post(f"/dead-letters/{letter_id}/replay").json()
    assert first["status"] == "replayed" and first["job_id"] == job_id
    assert second["status"] == "skipped"
    assert wait_job(client, job_id)["status"] == "succeeded"
    third = client.post(f"/dead-letters/{letter_id}/replay").json()
    assert (third["status"], third["reason"]) == ("skipped", "job already succeeded")
    drain(worker)
    assert _count(engine, t.people) == 1
    assert wait_job(client, job_id)["replays"] == 1


def test_failed_retry_scheduling_dead_letters_instead_of_losing(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dramatiq PR #545: stock Retries acks a message whose retry Redis refused."""
    broker = dramatiq.get_broker()
    real_enqueue = broker.enqueue

    def enqueue(message: Any, *, delay: int | None = None) -> Any:
        if delay is not None:
            raise redis.ConnectionError("Redis went away while scheduling a retry")
        return real_enqueue(message, delay=delay)

    monkeypatch.setattr(broker, "enqueue", enqueue)
    _sql(engine, POISON)
    job_id = _post(client, _profile(0))
    job = wait_job(client, job_id)
    assert job["status"] == "dead"
    letter = client.get(f"/dead-letters/{job['dead_letter_ids'][0]}").json()
    assert letter["reason"] == "retry_schedule_failed"
    assert letter["attempts"] == 1
    assert "retry could not be scheduled" in letter["error"]

    monkeypatch.setattr(broker, "enqueue", real_enqueue)
    _sql(engine, CURE)
    assert client.post(f"/dead-letters/{letter['id']}/replay").json()["status"] == "replayed"
    assert wait_job(client, job_id)["status"] == "succeeded"


def test_replay_whose_transaction_rolled_back_is_skipped_by_the_worker(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import replay

    _sql(engine, POISON)
    job_id = _post(client, _profile(0))
    [letter_id] = wait_job(client, job_id)["dead_letter_ids"]
    _sql(engine, CURE)

    def fail(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("the database went away before commit")

    monkeypatch.setattr(deadletters, "mark_replayed", fail)
    with pytest.raises(RuntimeError):
        replay.replay_one(engine, dramatiq.get_broker(), letter_id=letter_id)
    drain(worker)  # the message was sent; the worker must skip it
    job = wait_job(client, job_id)
    assert job["status"] == "dead"
    assert "replayed" not in _events(job)
    assert _count(engine, t.people) == 0

    monkeypatch.undo()
    assert replay.replay_one(engine, dramatiq.get_broker(), letter_id=letter_id) is not None
    assert wait_job(client, job_id)["status"] == "succeeded"


def test_message_past_its_age_limit_is_dead_lettered_and_replays_fresh(
    client: TestClient, worker: dramatiq.Worker, settings: Settings
) -> None:
    from workers import stages

    job_id = "6f1b2c3d-0000-4000-8000-000000000001"
    old = int(time.time() * 1000) - settings.max_age_ms - 60_000
    message = stages.store_raw.message_with_options(kwargs={"job_id": job_id, "body": _profile(0)})
    dramatiq.get_broker().enqueue(message.copy(message_timestamp=old))
    job = wait_job(client, job_id)
    assert job["status"] == "dead"
    [letter] = client.get("/dead-letters", params={"reason": "age_limit"}).json()["items"]
    assert letter["attempts"] == 0
    assert client.post(f"/dead-letters/{letter['id']}/replay").json()["status"] == "replayed"
    assert wait_job(client, job_id)["status"] == "succeeded"


@pytest.fixture
def slow_retries(settings: Settings) -> Iterator[TestClient]:
    """Gateway and worker whose retries wait 1.5–3 s, long enough to watch one."""

    slow = settings.model_copy(update={"min_backoff_ms": 1500, "max_backoff_ms": 3000})
    with TestClient(app_and_workers(slow), headers=AUTH) as test_client:
        worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=2, worker_timeout=50)
        worker.start()
        yield test_client
        worker.stop(timeout=10_000)


def test_transient_failure_shows_next_attempt_then_recovers(
    slow_retries: TestClient, engine: Engine
) -> None:
    _sql(engine, POISON)
    job_id = _post(slow_retries, _profile(0))
    job = wait_job(slow_retries, job_id, until=("failed",))
    stage = {s["stage"]: s for s in job["stages"]}["sync_core"]
    assert stage["status"] == "retrying"
    assert "poisoned stage" in stage["error"]
    next_at = datetime.fromisoformat(stage["next_attempt_at"])
    assert (
        datetime.now(UTC) - timedelta(seconds=1)
        < next_at
        < datetime.now(UTC) + timedelta(seconds=4)
    )
    _sql(engine, CURE)
    final = wait_job(slow_retries, job_id, timeout=30)
    assert final["status"] == "succeeded"
    assert final["dead_letter_ids"] == []
    assert {s["stage"]: s for s in final["stages"]}["sync_core"]["attempts"] >= 2
