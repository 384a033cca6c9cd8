"""A poisoned stage dead-letters its messages; fixed, one bulk replay lands them all."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.faults.harness import FaultRun, profiles

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


def test_poisoned_stage_dead_letters_then_bulk_replay_lands_everything(run: FaultRun) -> None:
    with run.engine.begin() as conn:
        conn.execute(text(POISON))
    bodies = profiles(PROFILES, "person")
    for body in bodies[::4]:
        body["linkedin_url"] = body["linkedin_url"].replace("/person-", "/person-poisoned-")
    accepted = run.start(bodies)

    counts = run.settle(accepted, timeout=150, final=("succeeded", "dead"))
    poisoned = PROFILES // 4
    assert (counts["succeeded"], counts["dead"]) == (PROFILES - poisoned, poisoned)
    selection = {"stage": "sync_core", "error": "poisoned stage"}
    dry = run.gateway.post("/dead-letters/replay", json={**selection, "dry_run": True}).json()
    assert (dry["matched"], dry["count"]) == (poisoned, poisoned)

    with run.engine.begin() as conn:
        conn.execute(text(CURE))
    replayed = run.gateway.post("/dead-letters/replay", json=selection).json()
    assert (replayed["count"], replayed["failed"]) == (poisoned, [])
    run.settle(accepted, timeout=120)
    again = run.gateway.post("/dead-letters/replay", json=selection).json()
    assert (again["count"], len(again["skipped"])) == (0, poisoned)

    run.conclude(
        accepted,
        fault="poisoned sync_core for 1 in 4 people, fixed, bulk replay (twice)",
        faults=poisoned,
        recovered=replayed["count"],
        dead_lettered=dry["matched"],
    )
