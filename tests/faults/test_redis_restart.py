"""Redis killed with -9 mid-run and restarted from its AOF: every accepted message survives."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.faults.conftest import accept, profiles
from tests.faults.harness import (
    RedisServer,
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


def test_redis_restart_mid_run_keeps_every_accepted_message(
    gateway: TestClient,
    workers: Callable[..., list[WorkerProcess]],
    engine: Engine,
    broker_client: redis.Redis,
    private_redis: RedisServer,
    fault_env: dict[str, str],
    report: Callable[..., None],
) -> None:
    namespace = fault_env["HQ_QUEUE_NAMESPACE"]
    bodies = profiles(PROFILES, "redis")
    started = workers(2)  # they boot while the requests go in
    accepted = {j: b for b in bodies[:80] if (j := accept(gateway, b))}
    assert len(accepted) == 80
    for worker in started:
        worker.wait_ready()
    wait_for(
        lambda: job_statuses(engine, accepted)["succeeded"] >= 15,
        timeout=120,
        what="the run to get going",
    )

    private_redis.kill()  # nothing but the AOF (appendfsync always) survives
    refused = 0
    for body in bodies[80:90]:  # while Redis is down the gateway refuses, never fakes a 202
        job_id = accept(gateway, body)
        if job_id is None:
            refused += 1
        else:
            accepted[job_id] = body
    private_redis.start()
    restarted = time.monotonic()
    accepted |= {j: b for b in bodies[90:] if (j := accept(gateway, b))}

    counts = settle(engine, broker_client, namespace, accepted, timeout=150)
    recovered = time.monotonic() - restarted
    expected = expected_rows(accepted.values())
    duplicates = duplicate_rows(engine, expected)
    report(
        fault="redis-server kill -9 + restart (AOF) mid-run",
        accepted=len(accepted),
        refused_while_down=refused,
        faults=1,
        recovered=counts["succeeded"],
        lost=len(accepted) - counts["succeeded"],
        duplicate_rows=duplicates,
        settled_after_restart_s=round(recovered, 1),
    )
    assert refused == 10
    assert actual_rows(engine) == expected
    assert duplicates == 0
