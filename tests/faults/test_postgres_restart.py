"""PostgreSQL stopped mid-run and started again: jobs wait, retry and complete."""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import FaultRun, PostgresServer, profiles

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 120

#: How long the database stays down: longer than the workers' whole retry budget for
#: ordinary errors (HQ_MAX_RETRIES=2, backoff ≤ 1 s), so only the outage rule saves them.
OUTAGE_S = 6


def test_postgres_restart_mid_run_completes_every_job(
    run: FaultRun, private_pg: PostgresServer
) -> None:
    bodies = profiles(PROFILES, "pg")
    accepted = run.start(bodies[:80])
    run.get_going(accepted, succeeded=15)

    private_pg.stop()
    stopped = time.monotonic()
    # Accepting needs only Redis: Clay's webhooks keep landing while the database is down.
    accepted |= run.accept(bodies[80:100])
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))  # the outage itself
    private_pg.start()
    restarted = time.monotonic()
    accepted |= run.accept(bodies[100:])
    assert len(accepted) == PROFILES

    counts = run.settle(accepted, timeout=150)
    run.conclude(
        accepted,
        fault=f"PostgreSQL stopped {OUTAGE_S} s mid-run, then started",
        faults=1,
        recovered=counts["succeeded"],
        settled_after_restart_s=round(time.monotonic() - restarted, 1),
    )
