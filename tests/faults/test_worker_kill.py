"""`kill -9` of a worker in the middle of a run: what it held is processed by the survivor."""

from __future__ import annotations

import time

import pytest
import redis

from tests.faults.harness import (
    FaultRun,
    Held,
    dead_worker_acks,
    held_by_dead_workers,
    profiles,
    still_in_broker,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PROFILES = 300

#: The promise: a dead worker's messages are processed again within this many seconds.
RECOVERY_LIMIT_S = 60


def test_kill_9_of_a_worker_loses_and_duplicates_nothing(run: FaultRun) -> None:
    accepted = run.start(profiles(PROFILES, "kill"))  # default heartbeat timeout (15 s)
    assert len(accepted) == PROFILES
    victim, _survivor = run.workers
    run.get_going(accepted, succeeded=PROFILES // 4)
    # Both workers must be holding messages when one dies (a slow boot under load once let
    # the survivor do the work alone until the kill, and the victim died holding nothing).
    wait_for(lambda: _workers_holding(run.broker, run.namespace) >= 2, timeout=60, what="both")

    victim.kill9()
    killed = time.monotonic()
    dead_ids, held = wait_for(
        lambda: _silent_holders(run.broker, run.namespace), timeout=20, what="the victim's acks"
    )
    held_jobs = set(held.values())
    requeued = wait_for(
        lambda: dead_worker_acks(run.broker, run.namespace, dead_ids) == 0 and time.monotonic(),
        timeout=RECOVERY_LIMIT_S,
        what="maintenance to requeue the killed worker's messages",
    )
    recovered = wait_for(
        lambda: (
            still_in_broker(run.broker, run.namespace, held) == 0
            and run.succeeded(held_jobs) == len(held_jobs)
            and time.monotonic()
        ),
        timeout=RECOVERY_LIMIT_S + 30,
        what="the killed worker's messages to be processed",
    )
    run.settle(accepted, timeout=120)  # every job succeeded, nothing left in the broker

    run.conclude(
        accepted,
        fault="kill -9 of 1 of 2 workers mid-run",
        faults=1,
        recovered=len(held),
        held_by_killed_worker=len(held),
        requeued_s=round(requeued - killed, 1),
        recovery_s=round(recovered - killed, 1),
    )
    assert recovered - killed < RECOVERY_LIMIT_S


def _workers_holding(client: redis.Redis, namespace: str) -> int:
    """How many workers have fetched messages they have not acked yet."""
    holders = {
        key.decode().split("__acks__.", 1)[1].split(".", 1)[0]
        for key in client.scan_iter(f"{namespace}:__acks__.*")
        if client.scard(key)
    }
    return len(holders)


def _silent_holders(client: redis.Redis, namespace: str) -> tuple[set[str], dict[Held, str]] | None:
    """The killed worker (silent for 1 s) and what it held, once visible."""
    dead_ids, held = held_by_dead_workers(client, namespace, stale_ms=1000)
    return (dead_ids, held) if held else None
