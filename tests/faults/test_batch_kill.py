"""`kill -9` of a worker inside an open batch — a micro-batch, then a reprocess batch.

The workers run with the batch hooks (`batchhooks`). First, the only worker's first
`sync_core` micro-batch of two or more people (once ten are synced) stops after writing
their rows, before its commit. The test sees it there — the rows written inside the
transaction, none visible outside, the backend idle in transaction — kills the worker's
process group, and starts a new worker. PostgreSQL rolls the batch back when the connection
drops; the dead worker's messages (the batch's, the ones queued behind it, the ones it had
fetched) go back on their queues once its heartbeat is stale, and the new worker runs them:
every job succeeds, the held batch's people exactly once, no row twice.

Then a reprocess of everything, whose one batch over every person the new worker holds the
same way (it holds nothing smaller, so the webhooks' micro-batches pass): it is killed
there too, a third worker finishes the reprocess, and the tables hold what they held
before, to the column; a second reprocess changes nothing either (re-running a reprocess
is idempotent, also across a crash inside it).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.faults.harness import (
    BatchWatch,
    FaultRun,
    Held,
    actual_rows,
    held_by_dead_workers,
    logged_batches,
    profiles,
    wait_for,
)
from tests.integration.test_profile_chain import _core_snapshot

pytestmark = [pytest.mark.faults, pytest.mark.timeout(400)]

PROFILES = 40

#: A short heartbeat timeout, so a dead worker's messages come back within seconds (the
#: kill test of a whole run, `test_worker_kill.py`, keeps the default 15 s).
HEARTBEAT = {"HQ_HEARTBEAT_TIMEOUT_MS": "5000"}

#: The worker holds its batch once it has synced this many people: the run is in full swing.
HOLD_AFTER = 10


def test_kill_9_inside_a_micro_batch_then_inside_a_reprocess_batch(
    run: FaultRun, watch: BatchWatch
) -> None:
    bodies = profiles(PROFILES, "inbatch")
    hooks = watch.options(hold=True, hold_after=HOLD_AFTER)
    accepted = run.start(bodies, workers=1, **hooks, **HEARTBEAT)
    assert len(accepted) == PROFILES
    job_of = {body["linkedin_url"]: job for job, body in accepted.items()}
    held = watch.wait_held(timeout=120)
    urls = held["urls"]
    held_jobs = [job_of[url] for url in urls]
    # Inside the batch: its rows written in a transaction still open, none visible outside.
    assert len(urls) >= 2 and held["written"] == len(urls)
    assert _backend_state(run.engine, held["backend_pid"]) == "idle in transaction"
    assert _people(run.engine, urls) == 0

    (victim,) = run.workers
    victim.kill9()
    killed = time.monotonic()
    wait_for(
        lambda: _backend_state(run.engine, held["backend_pid"]) is None,
        timeout=30,
        what="PostgreSQL to end the killed worker's session",
    )
    assert _people(run.engine, urls) == 0  # rolled back, not half-committed
    assert run.succeeded(held_jobs) == 0
    _dead_ids, in_hand = wait_for(
        lambda: _held_by_the_dead(run), timeout=20, what="the killed worker's unacked messages"
    )

    # The new worker holds only a batch of every person: the reprocess's, below.
    reprocess_hooks = watch.options(hold=True, hold_min=PROFILES)
    (replacement,) = run.start_workers(1, **reprocess_hooks, **HEARTBEAT)
    replacement.wait_ready()
    run.settle(accepted, timeout=150)
    settled = time.monotonic()
    assert run.shown_running(accepted) == []  # none stuck `running`
    assert run.shown(held_jobs) == {"succeeded": len(held_jobs)}
    assert set(run.stage_successes(held_jobs, "sync_core").values()) == {1}
    batches = logged_batches([victim, replacement], "sync_core")

    rows, before = actual_rows(run.engine), _core_snapshot(run.engine)
    first = _reprocess(run)
    in_reprocess = watch.wait_held(timeout=60, skip=1)
    assert len(in_reprocess["urls"]) == PROFILES
    replacement.kill9()
    killed_again = time.monotonic()
    (third,) = run.start_workers(1, **watch.options(), **HEARTBEAT)
    third.wait_ready()
    job = _finished(run, first)
    reprocessed = time.monotonic()
    assert (job["status"], job["counts"]) == ("succeeded", _all_done())
    assert (actual_rows(run.engine), _core_snapshot(run.engine)) == (rows, before)
    again = _finished(run, _reprocess(run))
    assert (again["status"], again["counts"]) == ("succeeded", _all_done())
    assert (actual_rows(run.engine), _core_snapshot(run.engine)) == (rows, before)
    assert _children(run, first) == _children(run, again["job_id"]) == PROFILES

    run.conclude(
        accepted,
        fault="kill -9 inside a sync_core micro-batch, new worker; kill -9 inside a reprocess"
        " batch, new worker; reprocess again",
        faults=2,
        recovered=len(in_hand),
        micro_batch_held=len(urls),
        messages_in_hand=len(in_hand),
        settled_after_kill_s=round(settled - killed, 1),
        sync_batches_logged=len(batches),
        largest_sync_batch=max((size for size, _ in batches), default=0),
        reprocess_batch_held=len(in_reprocess["urls"]),
        reprocess_done_after_kill_s=round(reprocessed - killed_again, 1),
        changed_by_reprocessing=0,
    )


def _held_by_the_dead(run: FaultRun) -> tuple[set[str], dict[Held, str]] | None:
    """The killed worker (silent for 1 s) and the messages it had not acked, once visible."""
    dead_ids, held = held_by_dead_workers(run.broker, run.namespace, stale_ms=1000)
    return (dead_ids, held) if held else None


def _backend_state(engine: Engine, pid: int) -> str | None:
    """The state of one PostgreSQL session (None once it is gone)."""
    with engine.connect() as conn:
        state: str | None = conn.execute(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
    return state


def _people(engine: Engine, urls: list[str]) -> int:
    """How many of these people `core.people` holds, as any other session sees it."""
    with engine.connect() as conn:
        count: int = conn.execute(
            text("SELECT count(*) FROM core.people WHERE linkedin_url = ANY(:urls)"),
            {"urls": urls},
        ).scalar_one()
    return count


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
