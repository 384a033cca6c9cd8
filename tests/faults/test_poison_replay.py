"""A poisoned stage dead-letters its messages; fixed, one bulk replay lands them all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.faults.conftest import accept, profiles
from tests.faults.harness import (
    WorkerProcess,
    actual_rows,
    duplicate_rows,
    expected_rows,
    settle,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 60

#: Every write of a person whose URL says so fails, as a bad deploy or constraint would.
POISON = """
CREATE FUNCTION core.hq_fault_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.linkedin_url LIKE '%-poisoned-%' THEN RAISE EXCEPTION 'poisoned stage'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER hq_fault_poison BEFORE INSERT OR UPDATE ON core.people
FOR EACH ROW EXECUTE FUNCTION core.hq_fault_poison();
"""
CURE = "DROP TRIGGER hq_fault_poison ON core.people; DROP FUNCTION core.hq_fault_poison();"


def test_poisoned_stage_dead_letters_then_bulk_replay_lands_everything(
    gateway: TestClient,
    workers: Callable[..., list[WorkerProcess]],
    engine: Engine,
    broker_client: redis.Redis,
    fault_env: dict[str, str],
    report: Callable[..., None],
) -> None:
    namespace = fault_env["HQ_QUEUE_NAMESPACE"]
    with engine.begin() as conn:
        conn.execute(text(POISON))
    bodies = profiles(PROFILES, "person")
    for body in bodies[::4]:
        body["linkedin_url"] = body["linkedin_url"].replace("/person-", "/person-poisoned-")
    started = workers(2)  # they boot while the requests go in
    accepted = {j: b for b in bodies if (j := accept(gateway, b))}
    for worker in started:
        worker.wait_ready()

    counts = settle(
        engine, broker_client, namespace, accepted, timeout=150, final=("succeeded", "dead")
    )
    poisoned = PROFILES // 4
    assert (counts["succeeded"], counts["dead"]) == (PROFILES - poisoned, poisoned)
    selection = {"stage": "sync_core", "error": "poisoned stage"}
    dry = gateway.post("/dead-letters/replay", json={**selection, "dry_run": True}).json()
    assert (dry["matched"], dry["count"]) == (poisoned, poisoned)

    with engine.begin() as conn:
        conn.execute(text(CURE))
    replayed = gateway.post("/dead-letters/replay", json=selection).json()
    assert (replayed["count"], replayed["failed"]) == (poisoned, [])
    counts = settle(engine, broker_client, namespace, accepted, timeout=120)
    again = gateway.post("/dead-letters/replay", json=selection).json()
    assert (again["count"], len(again["skipped"])) == (0, poisoned)

    expected = expected_rows(accepted.values())
    duplicates = duplicate_rows(engine, expected)
    report(
        fault="poisoned sync_core for 1 in 4 people, fixed, bulk replay (twice)",
        accepted=len(accepted),
        faults=poisoned,
        dead_lettered=dry["matched"],
        recovered=replayed["count"],
        lost=len(accepted) - counts["succeeded"],
        duplicate_rows=duplicates,
    )
    assert actual_rows(engine) == expected
    assert duplicates == 0
