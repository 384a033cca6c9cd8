"""One poisoned payload inside a micro-batch: it alone is dead-lettered; cured, replay lands it.

The payload passes the gateway, store and extract; only its `core.people` row breaks a
constraint (as a bad deploy or a data rule would), so the SQL of the whole `sync_core`
batch that holds it fails. The batch then runs its people one by one: the neighbours
commit, the poisoned one fails alone, is retried (each retry may join another batch, which
falls back the same way) and is dead-lettered. The worker's batch hooks gate the batches so
the poisoned person is queued with a neighbour, and record every batch's people, which is
how the test proves that a batch of two or more held it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.faults.harness import (
    BatchWatch,
    FaultRun,
    job_statuses,
    logged_batches,
    profiles,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 30

#: Where the poisoned payload sits in the burst.
POSITION = 3

#: Payloads posted before the rest, the poisoned one among them; fewer than THREADS.
FIRST = 6
THREADS = 8

POISON = (
    "ALTER TABLE core.people ADD CONSTRAINT hq_fault_poison"
    " CHECK (linkedin_url NOT LIKE '%-poisoned') NOT VALID"
)
CURE = "ALTER TABLE core.people DROP CONSTRAINT hq_fault_poison"


def test_one_poisoned_payload_in_a_batch_is_dead_lettered_alone_then_replayed(
    run: FaultRun, watch: BatchWatch
) -> None:
    with run.engine.begin() as conn:
        conn.execute(text(POISON))
    bodies = profiles(PROFILES, "batchmate")
    bodies[POSITION]["linkedin_url"] += "-poisoned"
    poisoned_url = bodies[POSITION]["linkedin_url"]
    hooks = watch.options(gate_url=poisoned_url)
    accepted = run.start(bodies[:FIRST], workers=1, threads=THREADS, **hooks)
    job_of = {body["linkedin_url"]: job for job, body in accepted.items()}
    poisoned = job_of[poisoned_url]
    # The rest once the poisoned item is on its way to sync_core: until then at most
    # FIRST - 1 threads can wait inside sync_core, and the others carry its payload there.
    wait_for(
        lambda: run.stage_successes([poisoned], "extract_profile")[poisoned],
        timeout=60,
        what="the poisoned payload to be extracted",
    )
    accepted |= run.accept(bodies[FIRST:])
    assert len(accepted) == PROFILES
    job_of = {body["linkedin_url"]: job for job, body in accepted.items()}

    counts = run.settle(accepted, timeout=150, final=("succeeded", "dead"))
    assert (counts["succeeded"], counts["dead"]) == (PROFILES - 1, 1)
    assert job_statuses(run.engine, [poisoned])["dead"] == 1

    # A batch of two or more held the poisoned person, its set failed, and every neighbour
    # in it then committed once, alone.
    calls = watch.sync_calls()
    shared = [c for c in calls if poisoned_url in c["urls"] and c["size"] > 1]
    assert shared and all(c["error"] for c in shared), calls
    neighbours = {url for c in shared for url in c["urls"]} - {poisoned_url}
    neighbour_jobs = [job_of[url] for url in neighbours]
    assert set(run.stage_successes(neighbour_jobs, "sync_core").values()) == {1}
    assert any(c["urls"] == [url] and not c["error"] for c in calls for url in neighbours)
    fallbacks = [size for size, fallback in logged_batches(run.workers, "sync_core") if fallback]
    assert fallbacks and max(fallbacks) > 1

    letters = run.gateway.get("/dead-letters", params={"stage": "sync_core"}).json()["items"]
    assert [letter["job_id"] for letter in letters] == [poisoned]
    assert "hq_fault_poison" in letters[0]["error"]

    with run.engine.begin() as conn:
        conn.execute(text(CURE))
    selection = {"stage": "sync_core", "error": "hq_fault_poison"}
    replayed = run.gateway.post("/dead-letters/replay", json=selection).json()
    assert (replayed["count"], replayed["failed"]) == (1, [])
    run.settle(accepted, timeout=60)
    again = run.gateway.post("/dead-letters/replay", json=selection).json()
    assert (again["count"], len(again["skipped"])) == (0, 1)
    assert run.shown_running(accepted) == []
    assert run.shown([poisoned]) == {"succeeded": 1}

    run.conclude(
        accepted,
        fault="1 poisoned payload in a sync_core batch (its SQL fails), cured, replayed",
        faults=1,
        recovered=replayed["count"],
        poisoned_batches=len(shared),
        poisoned_batch_sizes=sorted(c["size"] for c in shared),
        neighbours_committed_alone=len(neighbours),
        sync_fallbacks_logged=len(fallbacks),
    )
