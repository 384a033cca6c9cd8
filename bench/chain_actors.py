"""The benchmark worker: `dramatiq bench.chain_actors:setup` = the real workers plus a no-op chain.

`setup` sets up the production broker and middleware and declares the real stages (and
every other actor of `workers`) with the no-op chain below, so it runs on exactly the same
broker, middleware stack, processes and threads as the person chain. Its three actors only
send the next; the first carries the same webhook body as `store_raw`, so Redis and
message decoding cost the same. Sent without a `job_id`, Tracking ignores them (pure
Dramatiq cost); sent with one, Tracking records them like a real job.
"""

from __future__ import annotations

from typing import Any

import workers
from bench.chain import NOOP_QUEUES
from workers.declare import actor
from workers.middleware import current_run
from workers.names import ActorName


def setup() -> None:
    """What dramatiq's CLI calls in each worker process: the real setup, no-ops included."""
    workers.setup()


def _tracked(job_id: str | None) -> dict[str, Any]:
    return {"job_id": job_id} if job_id else {}


@actor(ActorName("noop_first", NOOP_QUEUES[0], "bench_noop"), stage_seq=1)
def noop_first(body: dict[str, Any], job_id: str | None = None) -> None:
    """Stage 1 of the no-op chain: receives the webhook body, sends stage 2."""
    noop_second.send(seq=len(body), **_tracked(job_id))


@actor(ActorName("noop_second", NOOP_QUEUES[1], "bench_noop"), stage_seq=2)
def noop_second(seq: int, job_id: str | None = None) -> None:
    """Stage 2 of the no-op chain: sends stage 3."""
    noop_third.send(seq=seq, **_tracked(job_id))


@actor(ActorName("noop_third", NOOP_QUEUES[2], "bench_noop"), stage_seq=3)
def noop_third(seq: int, job_id: str | None = None) -> None:
    """Stage 3 of the no-op chain: completes the job when it is tracked."""
    if job_id:
        current_run().complete({"seq": seq})
