"""A reprocess killed inside its batch, run again after a restart, then once more: no change.

Reprocessing what is already stored must change nothing, also when the worker running a
reprocess batch dies in the middle of it. The worker runs with the batch hooks
(`batchhooks`), holding only a sync of the whole reprocess batch (the webhooks before it
sync in micro-batches of a few): the reprocess's one transaction over every person stops
after its writes, and the worker is killed there. A new worker picks the batch message up
once the dead one's heartbeat is stale and runs it again; the reprocess completes with
every payload done once, and the tables hold what they held before, to the column. A
second reprocess changes nothing either.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from tests.faults.harness import BatchWatch, FaultRun, actual_rows, profiles, wait_for
from tests.integration.test_profile_chain import _core_snapshot

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 24

#: See `test_batch_kill.py`: the dead worker's messages come back within seconds.
HEARTBEAT = {"HQ_HEARTBEAT_TIMEOUT_MS": "5000"}


def test_reprocess_killed_inside_its_batch_then_again_changes_nothing(
    run: FaultRun, watch: BatchWatch
) -> None:
    hooks = watch.options(hold=True, hold_min=PROFILES)
    accepted = run.start(profiles(PROFILES, "again"), workers=1, **hooks, **HEARTBEAT)
    run.settle(accepted, timeout=150)
    rows, before = actual_rows(run.engine), _core_snapshot(run.engine)

    first = _reprocess(run)
    held = watch.wait_held(timeout=60)
    assert len(held["urls"]) == PROFILES and held["written"] == PROFILES
    (victim,) = run.workers
    victim.kill9()
    killed = time.monotonic()
    (replacement,) = run.start_workers(1, **watch.options(), **HEARTBEAT)
    replacement.wait_ready()
    job = _finished(run, first)
    settled = time.monotonic()
    assert (job["status"], job["counts"]) == ("succeeded", _all_done())
    assert (actual_rows(run.engine), _core_snapshot(run.engine)) == (rows, before)

    again = _finished(run, _reprocess(run))
    assert (again["status"], again["counts"]) == ("succeeded", _all_done())
    assert (actual_rows(run.engine), _core_snapshot(run.engine)) == (rows, before)
    assert _children(run, first) == _children(run, again["job_id"]) == PROFILES

    run.conclude(
        accepted,
        fault=f"kill -9 inside a reprocess batch (all {PROFILES} people), new worker, again",
        faults=1,
        recovered=job["counts"]["done"],
        batch_held=len(held["urls"]),
        reprocess_done_after_kill_s=round(settled - killed, 1),
        changed_by_reprocessing=0,
    )


def _reprocess(run: FaultRun) -> str:
    response = run.gateway.post("/run/reprocess", json={"all": True})
    assert response.status_code == 202, response.text
    job: str = response.json()["job_id"]
    return job


def _finished(run: FaultRun, job_id: str) -> dict[str, Any]:
    """The reprocess job once it is final."""

    def final() -> dict[str, Any] | None:
        job: dict[str, Any] = run.gateway.get(f"/jobs/{job_id}").json()
        return job if job["status"] in ("succeeded", "dead") else None

    job: dict[str, Any] = wait_for(final, timeout=150, what=f"reprocess {job_id}")
    return job


def _all_done() -> dict[str, int]:
    return {"done": PROFILES, "failed": 0, "total": PROFILES}


def _children(run: FaultRun, job_id: str) -> int:
    """Payload jobs the reprocess created (one per payload, however often a batch ran)."""
    with run.engine.connect() as conn:
        count: int = conn.execute(
            text(
                "SELECT count(*) FROM ops.jobs WHERE parent_job_id = :p AND kind = 'person_profile'"
            ),
            {"p": job_id},
        ).scalar_one()
    return count
