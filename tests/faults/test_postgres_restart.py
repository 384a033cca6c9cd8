"""PostgreSQL stopped mid-run and started again: jobs wait, retry and complete."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.faults.conftest import accept, profiles
from tests.faults.harness import (
    PostgresServer,
    WorkerProcess,
    actual_rows,
    duplicate_rows,
    expected_rows,
    job_statuses,
    settle,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 120

#: How long the database stays down: longer than the workers' whole retry budget for
#: ordinary errors (HQ_MAX_RETRIES=2, backoff ≤ 1 s), so only the outage rule saves them.
OUTAGE_S = 6


def test_postgres_restart_mid_run_completes_every_job(
    gateway: TestClient,
    workers: Callable[..., list[WorkerProcess]],
    engine: Engine,
    broker_client: redis.Redis,
    private_pg: PostgresServer,
    fault_env: dict[str, str],
    report: Callable[..., None],
) -> None:
    namespace = fault_env["HQ_QUEUE_NAMESPACE"]
    bodies = profiles(PROFILES, "pg")
    started = workers(2)  # they boot while the requests go in
    accepted = {j: b for b in bodies[:80] if (j := accept(gateway, b))}
    for worker in started:
        worker.wait_ready()
    wait_for(
        lambda: job_statuses(engine, accepted)["succeeded"] >= 15,
        timeout=120,
        what="the run to get going",
    )

    private_pg.stop()
    stopped = time.monotonic()
    # Accepting needs only Redis: Clay's webhooks keep landing while the database is down.
    accepted |= {j: b for b in bodies[80:100] if (j := accept(gateway, b))}
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))  # the outage itself
    private_pg.start()
    restarted = time.monotonic()
    accepted |= {j: b for b in bodies[100:] if (j := accept(gateway, b))}
    assert len(accepted) == PROFILES

    counts = settle(engine, broker_client, namespace, accepted, timeout=150)
    recovered = time.monotonic() - restarted
    expected = expected_rows(accepted.values())
    duplicates = duplicate_rows(engine, expected)
    report(
        fault=f"PostgreSQL stopped {OUTAGE_S} s mid-run, then started",
        accepted=len(accepted),
        faults=1,
        recovered=counts["succeeded"],
        lost=len(accepted) - counts["succeeded"],
        duplicate_rows=duplicates,
        settled_after_restart_s=round(recovered, 1),
    )
    assert actual_rows(engine) == expected
    assert duplicates == 0
