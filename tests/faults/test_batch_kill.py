"""`kill -9` of a worker inside a micro-batch's open transaction, then a restart.

The worker runs with the batch hooks (`batchhooks`): its first `sync_core` batch of two or
more people stops after writing their rows, before its commit. The test sees it there — the
rows written inside the transaction, none visible outside, the backend idle in
transaction — kills the worker's process group, and starts a new worker. PostgreSQL rolls
the batch back when the connection drops; the dead worker's messages (the batch's, the
ones queued behind it, the ones it had fetched) go back on their queues once its heartbeat
is stale, and the new worker runs them: every job succeeds, the held batch's people
exactly once, no row twice.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text

from tests.faults.harness import (
    BatchWatch,
    FaultRun,
    Held,
    held_by_dead_workers,
    logged_batches,
    profiles,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 40

#: A short heartbeat timeout, so the dead worker's messages come back within seconds (the
#: kill test of a whole run, `test_worker_kill.py`, keeps the default 15 s).
HEARTBEAT = {"HQ_HEARTBEAT_TIMEOUT_MS": "5000"}

#: The worker holds its batch once it has synced this many people: the run is in full swing.
HOLD_AFTER = 10


def test_kill_9_inside_a_batch_then_restart_runs_every_job_once(
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

    (replacement,) = run.start_workers(1, **watch.options(), **HEARTBEAT)
    replacement.wait_ready()
    run.settle(accepted, timeout=150)
    settled = time.monotonic()

    assert run.shown(accepted) == {"succeeded": PROFILES}  # none stuck `running`
    assert set(run.stage_successes(held_jobs, "sync_core").values()) == {1}
    batches = logged_batches([victim, replacement], "sync_core")
    run.conclude(
        accepted,
        fault="kill -9 of the only worker inside a sync_core batch, then a new worker",
        faults=1,
        recovered=len(in_hand),
        batch_held=len(urls),
        messages_in_hand=len(in_hand),
        settled_after_kill_s=round(settled - killed, 1),
        sync_batches_logged=len(batches),
        largest_sync_batch=max((size for size, _ in batches), default=0),
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
