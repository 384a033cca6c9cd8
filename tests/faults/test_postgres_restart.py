"""PostgreSQL stopped under an open micro-batch and started again: jobs wait, retry, complete.

The workers run with the batch hooks (`batchhooks`): a worker's first `sync_core` batch of
two or more people stops after its writes, before its commit, and the database is stopped
right then (a fast shutdown ends every session, that batch's among them), with the other
stages' batches running too. The held batch fails to commit, runs its people again one by
one (which fail too: the database is down), and every message waits out the outage.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import BatchWatch, FaultRun, PostgresServer, logged_batches, profiles

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 120

#: How long the database stays down: longer than the workers' whole retry budget for
#: ordinary errors (HQ_MAX_RETRIES=2, backoff ≤ 1 s), so only the outage rule saves them.
OUTAGE_S = 6

#: A worker holds its batch once it has synced this many people: the run is in full swing.
HOLD_AFTER = 10


def test_postgres_stopped_under_a_batch_completes_every_job(
    run: FaultRun, private_pg: PostgresServer, watch: BatchWatch
) -> None:
    bodies = profiles(PROFILES, "pg")
    accepted = run.start(bodies[:80], **watch.options(hold=True, hold_after=HOLD_AFTER))
    job_of = {body["linkedin_url"]: job for job, body in accepted.items()}
    held = watch.wait_held(timeout=120)
    assert len(held["urls"]) >= 2 and held["written"] == len(held["urls"])
    held_jobs = [job_of[url] for url in held["urls"]]
    assert sorted(run.shown_running(held_jobs)) == sorted(held_jobs)  # in flight, as shown
    before = run.succeeded(accepted)

    private_pg.stop()
    stopped = time.monotonic()
    watch.release()  # the held batch goes on to its commit, on a connection that is gone
    # Accepting needs only Redis: Clay's webhooks keep landing while the database is down.
    accepted |= run.accept(bodies[80:100])
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))  # the outage itself
    private_pg.start()
    restarted = time.monotonic()
    accepted |= run.accept(bodies[100:])
    assert len(accepted) == PROFILES

    counts = run.settle(accepted, timeout=150)
    settled = time.monotonic()
    assert run.shown_running(accepted) == []  # none stuck `running`
    assert run.shown(held_jobs) == {"succeeded": len(held_jobs)}
    assert set(run.stage_successes(held_jobs, "sync_core").values()) == {1}
    batches = logged_batches(run.workers, "sync_core")
    run.conclude(
        accepted,
        fault=f"PostgreSQL stopped {OUTAGE_S} s under an open sync_core batch, then started",
        faults=1,
        recovered=counts["succeeded"],
        succeeded_before_stop=before,
        batch_held=len(held["urls"]),
        sync_batches_logged=len(batches),
        sync_fallbacks_logged=sum(fallback for _, fallback in batches),
        settled_after_restart_s=round(settled - restarted, 1),
    )
