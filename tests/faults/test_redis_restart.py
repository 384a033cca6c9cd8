"""Redis killed with -9 mid-run and restarted from its AOF: every accepted message survives."""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import FaultRun, RedisServer, profiles

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 120


def test_redis_restart_mid_run_keeps_every_accepted_message(
    run: FaultRun, private_redis: RedisServer
) -> None:
    bodies = profiles(PROFILES, "redis")
    accepted = run.start(bodies[:80])
    assert len(accepted) == 80
    run.get_going(accepted, succeeded=15)

    private_redis.kill()  # nothing but the AOF (appendfsync always) survives
    while_down = bodies[80:90]  # the gateway refuses them, never fakes a 202
    accepted_while_down = run.accept(while_down)
    private_redis.start()
    restarted = time.monotonic()
    accepted |= accepted_while_down | run.accept(bodies[90:])

    counts = run.settle(accepted, timeout=150)
    refused = len(while_down) - len(accepted_while_down)
    run.conclude(
        accepted,
        fault="redis-server kill -9 + restart (AOF) mid-run",
        faults=1,
        recovered=counts["succeeded"],
        refused_while_down=refused,
        settled_after_restart_s=round(time.monotonic() - restarted, 1),
    )
    assert refused == 10
