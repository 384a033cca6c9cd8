"""Micro-batched stages on real Redis + PostgreSQL: batches form under load, every job keeps
its own status, a poisoned item is dead-lettered alone and replays."""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text

from pipeline import tables as t
from pipeline.store import ops
from tests.conftest import load_fixture
from tests.integration.conftest import wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

POISON = """
CREATE FUNCTION core.hq_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.linkedin_url LIKE '%-poisoned-%' THEN RAISE EXCEPTION 'poisoned person'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER hq_test_poison BEFORE INSERT OR UPDATE ON core.people
FOR EACH ROW EXECUTE FUNCTION core.hq_test_poison();
"""
CURE = "DROP TRIGGER hq_test_poison ON core.people; DROP FUNCTION core.hq_test_poison();"

BATCH_LINE = re.compile(r"^batch (\w+) size=(\d+) fallback=(True|False)$")


def _profile(i: int, name: str = "batch") -> dict[str, Any]:
    body: dict[str, Any] = load_fixture(
        f"payloads/{('clay_a', 'pdl_a', 'proxycurl_a')[i % 3]}.json"
    )
    body["linkedin_url"] = f"https://www.linkedin.com/in/batch-{name}-{i}"
    return body


def _post(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post(INGEST, json=body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


@contextmanager
def _worker(threads: int, queues: set[str] | None = None) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(
        dramatiq.get_broker(), worker_threads=threads, worker_timeout=50, queues=queues
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=10_000)


def _batches(caplog: pytest.LogCaptureFixture) -> dict[str, list[tuple[int, bool]]]:
    """(size, fallback) of every batch logged, by stage."""
    out: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for record in caplog.records:
        if record.name == "hq.batch" and (m := BATCH_LINE.match(record.getMessage())):
            out[m[1]].append((int(m[2]), m[3] == "True"))
    return out


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_burst_runs_in_batches_and_every_job_keeps_its_own_record(
    client: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # Given messages that pile up before any worker runs
    jobs = [_post(client, _profile(i)) for i in range(40)]
    with caplog.at_level(logging.DEBUG, logger="hq.batch"), _worker(threads=16):
        finals = [wait_job(client, job, timeout=90) for job in jobs]
    assert {f["status"] for f in finals} == {"succeeded"}
    for i, final in enumerate(finals):
        stages = [(s["stage"], s["status"], s["attempts"]) for s in final["stages"]]
        assert stages == [
            ("store_raw", "succeeded", 1),
            ("extract_profile", "succeeded", 1),
            ("sync_core", "succeeded", 1),
        ]
        assert final["result"]["linkedin_url"].endswith(f"/batch-batch-{i}")  # its own person
    batches = _batches(caplog)
    assert sum(size for size, _ in batches["store_raw"]) == 40
    assert max(size for size, _ in batches["store_raw"]) > 1, batches
    assert not any(fallback for sizes in batches.values() for _, fallback in sizes)
    assert _count(engine, t.person_payloads) == 40
    assert _count(engine, t.people) == 40
    with engine.connect() as conn:
        events = conn.execute(
            text("SELECT count(*) FROM ops.job_events WHERE event = 'succeeded'")
        ).scalar_one()
    assert events == 3 * 40


def test_a_poisoned_person_in_a_batch_dies_alone_and_replays(
    client: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine.begin() as conn:
        conn.execute(text(POISON))
    names = ["poisoned" if i in (4, 9) else "neighbour" for i in range(14)]
    jobs = [_post(client, _profile(i, name)) for i, name in enumerate(names)]
    # Given every job waiting at sync_core, so they are taken there together
    with _worker(threads=4, queues={"store_raw", "extract_profile"}) as worker:
        for queue in ("store_raw", "extract_profile", "store_raw", "extract_profile"):
            worker.broker.join(queue, timeout=60_000)
            worker.join()
    with caplog.at_level(logging.DEBUG, logger="hq.batch"), _worker(threads=16):
        finals = [wait_job(client, job, timeout=90) for job in jobs]
        outcome = {(name, f["status"]) for name, f in zip(names, finals, strict=True)}
        assert outcome == {("poisoned", "dead"), ("neighbour", "succeeded")}
        fallbacks = [size for size, fallback in _batches(caplog)["sync_core"] if fallback]
        assert fallbacks and max(fallbacks) > 1  # the set failed, then one by one
        letters = client.get("/dead-letters", params={"stage": "sync_core"}).json()
        dead = {j for j, name in zip(jobs, names, strict=True) if name == "poisoned"}
        assert {i["job_id"] for i in letters["items"]} == dead
        assert {i["attempts"] for i in letters["items"]} == {3}  # HQ_MAX_RETRIES=2

        with engine.begin() as conn:
            conn.execute(text(CURE))
        replayed = client.post("/dead-letters/replay", json={"stage": "sync_core"}).json()
        assert replayed["count"] == 2
        assert {wait_job(client, j, timeout=60)["status"] for j in dead} == {"succeeded"}
    assert _count(engine, t.person_payloads) == 14
    assert _count(engine, t.people) == 14


def test_record_attempts_writes_a_set_in_one_statement_and_repeats_in_order(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    jobs = [str(uuid.uuid4()) for _ in range(3)]

    def attempt(job: str, stage: str, seq: int, started: datetime) -> ops.Attempt:
        return ops.Attempt(job, "person_profile", stage, seq, 1, started, "clay-native")

    later = now + timedelta(seconds=1)
    outcomes = [
        *(ops.Outcome(attempt(j, "store_raw", 1, now), "succeeded", "running") for j in jobs),
        # job 0 finishes; job 1's extract started after its store_raw and is recorded first
        ops.Outcome(
            attempt(jobs[0], "extract_profile", 2, later),
            "succeeded",
            "succeeded",
            result={"done": True},
        ),
    ]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.begin() as conn:
        ops.record_attempts(
            conn,
            [ops.Outcome(attempt(jobs[1], "extract_profile", 2, later), "succeeded", "running")],
        )
        statements.clear()
        ops.record_attempts(conn, outcomes)
        executed = len(statements)
        loaded = [ops.load_job(conn, job_id=j) for j in jobs]
    assert executed == 2  # job 0 appears twice: its second record follows in order
    assert all(job is not None for job in loaded)
    first, second, third = (job or {} for job in loaded)
    assert (first["status"], first["stage"], first["result"]) == (
        "succeeded",
        "extract_profile",
        {"done": True},
    )
    assert first["finished_at"] is not None
    # store_raw started before job 1's extract: it must not turn the job back
    assert (second["status"], second["stage"]) == ("running", "extract_profile")
    assert (third["status"], third["stage"]) == ("running", "store_raw")
    assert [e["event"] for e in first["events"]] == ["succeeded", "succeeded"]
    assert [s["stage"] for s in first["stages"]] == ["store_raw", "extract_profile"]


def test_a_record_that_does_not_end_the_job_never_reopens_a_final_one(engine: Engine) -> None:
    job = str(uuid.uuid4())
    now = datetime.now(UTC)
    done = ops.Attempt(job, "task", "third", 3, 1, now)
    # a copy of the first stage that started after the job finished (a redelivery)
    late = ops.Attempt(job, "task", "first", 1, 1, now + timedelta(seconds=1))
    with engine.begin() as conn:
        ops.record_attempts(conn, [ops.Outcome(done, "succeeded", "succeeded", result={})])
        ops.record_attempts(conn, [ops.Outcome(late, "succeeded", "running")])
        ops.record_attempts(conn, [ops.Outcome(late, "retrying", "failed", error="boom")])
        loaded = ops.load_job(conn, job_id=job)
    assert loaded is not None
    assert (loaded["status"], loaded["stage"], loaded["error"]) == ("succeeded", "third", None)
    assert loaded["finished_at"] is not None
    assert {s["stage"]: s["status"] for s in loaded["stages"]} == {
        "first": "retrying",
        "third": "succeeded",
    }
