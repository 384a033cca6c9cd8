"""Reprocess: stored person payloads re-extracted and re-synced, against the no-op chain.

On the chain benchmark's warmed worker group (`bench.chain.fleet`): N person profiles are
ingested first (not timed), then one `reprocess` job over all of them (`workers.reprocess`:
batches of child jobs, one extract + sync per payload, the size-1 stage path) is timed from
its send until the job has succeeded; the no-op chain runs before and after as the
same-run baseline. Issue 18's target is ≥ 1.0× the no-op chain's chains/s.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

import psycopg

from bench import chain
from bench.report import Figure, show

BENCH = "reprocess"

#: Target: reprocessed profiles/s ≥ this × no-op chains/s (issue 18).
MIN_RATIO = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("reprocess")
    group.add_argument("--reprocess-profiles", type=int, default=1000, help="payloads stored")


def _one(database_url: str, sql: str, *params: Any) -> Any:
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def _job_status(database_url: str, job_id: str) -> str | None:
    status = _one(database_url, "SELECT status FROM ops.jobs WHERE job_id = %s", job_id)
    return str(status) if status else None


def _wait_job(database_url: str, job_id: str, *, timeout: float = 1800.0) -> float:
    deadline = time.monotonic() + timeout
    while (status := _job_status(database_url, job_id)) != "succeeded":
        if status == "dead" or time.monotonic() > deadline:
            raise RuntimeError(f"reprocess job {job_id} ended {status}")
        time.sleep(0.05)
    return time.monotonic()


def run(args: argparse.Namespace) -> list[Figure]:
    """No-op chain, store N profiles, reprocess them all (timed), no-op chain again."""
    n = args.reprocess_profiles
    print(f"[reprocess] {args.processes} processes x {args.threads} threads; {n} payloads")
    with chain.fleet(args) as workers:
        q = workers.queues
        noops = chain.noop_messages(q, 0, 1500, tracked=False)
        noop = [chain._timed(workers, "no-op chain", noops)]
        q.send(chain.person_messages(q, 0, n))
        q.drain(chain.PERSON_QUEUES)
        n = int(_one(workers.database_url, "SELECT count(*) FROM raw.person_payloads"))
        job_id = str(uuid.uuid4())
        body: dict[str, Any] = {"selection": {}, "total": n}
        message = q.messages("reprocess", "reprocess", [{"job_id": job_id, "body": body}])
        started = time.monotonic()
        q.send(message)
        seconds = _wait_job(workers.database_url, job_id) - started
        rate = n / seconds
        print(f"    reprocess       {n:6d} in {seconds:6.2f} s = {rate:8.1f}/s", flush=True)
        noop.append(chain._timed(workers, "no-op chain", noops))
    baseline = statistics.mean(r.rate for r in noop)
    figure = Figure(
        BENCH,
        "reprocessed profiles/s",
        rate,
        "/s",
        baseline,
        rate / baseline,
        f">= {MIN_RATIO}x no-op chain",
        rate / baseline >= MIN_RATIO,
        "one job per payload, extract + sync on the size-1 stage path",
    )
    show(figure)
    return [figure]
