"""`kill -9` of a worker in the middle of a run: what it held is processed by the survivor."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.faults.conftest import accept, profiles
from tests.faults.harness import (
    Held,
    WorkerProcess,
    actual_rows,
    broker_idle,
    dead_worker_acks,
    duplicate_rows,
    expected_rows,
    held_by_dead_workers,
    job_statuses,
    still_in_broker,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 300

#: The promise: a dead worker's messages are processed again within this many seconds.
RECOVERY_LIMIT_S = 60


def test_kill_9_of_a_worker_loses_and_duplicates_nothing(
    gateway: TestClient,
    workers: Callable[..., list[WorkerProcess]],
    engine: Engine,
    broker_client: redis.Redis,
    fault_env: dict[str, str],
    report: Callable[..., None],
) -> None:
    namespace = fault_env["HQ_QUEUE_NAMESPACE"]
    victim, survivor = workers(2)  # default heartbeat timeout (15 s); they boot meanwhile
    bodies = profiles(PROFILES, "kill")
    jobs = [accept(gateway, body) for body in bodies]
    assert None not in jobs
    accepted = [j for j in jobs if j]
    for worker in (victim, survivor):
        worker.wait_ready()
    wait_for(
        lambda: job_statuses(engine, accepted)["succeeded"] >= PROFILES * 3 // 5,
        timeout=120,
        what="the run to get going",
    )

    victim.kill9()
    killed = time.monotonic()
    dead_ids, held = wait_for(
        lambda: _silent_holders(broker_client, namespace), timeout=10, what="the victim's acks"
    )
    held_jobs = set(held.values())
    requeued = wait_for(
        lambda: dead_worker_acks(broker_client, namespace, dead_ids) == 0 and time.monotonic(),
        timeout=RECOVERY_LIMIT_S,
        what="maintenance to requeue the killed worker's messages",
    )
    recovered = wait_for(
        lambda: (
            still_in_broker(broker_client, namespace, held) == 0
            and job_statuses(engine, held_jobs)["succeeded"] == len(held_jobs)
            and time.monotonic()
        ),
        timeout=RECOVERY_LIMIT_S + 30,
        what="the killed worker's messages to be processed",
    )
    wait_for(
        lambda: (
            job_statuses(engine, accepted)["succeeded"] == PROFILES
            and broker_idle(broker_client, namespace)
        ),
        timeout=120,
        what="every job to succeed",
    )

    expected = expected_rows(bodies)
    duplicates = duplicate_rows(engine, expected)
    report(
        fault="kill -9 of 1 of 2 workers mid-run",
        accepted=len(accepted),
        faults=1,
        held_by_killed_worker=len(held),
        recovered=len(held),
        lost=PROFILES - job_statuses(engine, accepted)["succeeded"],
        duplicate_rows=duplicates,
        requeued_s=round(requeued - killed, 1),
        recovery_s=round(recovered - killed, 1),
    )
    assert recovered - killed < RECOVERY_LIMIT_S
    assert actual_rows(engine) == expected
    assert duplicates == 0


def _silent_holders(client: redis.Redis, namespace: str) -> tuple[set[str], dict[Held, str]] | None:
    """The killed worker (silent for 1 s) and what it held, once visible."""
    dead_ids, held = held_by_dead_workers(client, namespace, stale_ms=1000)
    return (dead_ids, held) if held else None
