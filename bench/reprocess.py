"""Reprocess: stored person payloads re-extracted and re-synced, against two baselines.

N person payloads are stored straight into `raw.person_payloads` (COPY, not timed), as the
webhook chain's `store_raw` would have kept them. On the chain benchmark's warmed worker
group (`bench.chain.fleet`) one `reprocess` job over all of them is timed from its send
until the job has succeeded, twice: the first run extracts and syncs them for the first
time, the second reprocesses people whose rows all exist (the case of an extractor fix).
The no-op chain runs before and after as the same-run baseline of the workers. Then, with
the workers stopped, the same payloads are stored in a second scratch database and the
pure-SQL baseline (`bench.puresql`: INSERT … SELECT from the raw jsonb, batches of 500, no
Python) writes their rows twice. Issue 18's targets: profiles/s ≥ 1.0× no-op chains/s and
≥ 0.5× the pure-SQL baseline (the machine's limit).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg

from bench import chain, env, payloads, profiling, puresql
from bench.report import Figure, show

BENCH = "reprocess"

#: Targets: reprocessed profiles/s ≥ this × no-op chains/s, and ≥ this × pure SQL.
MIN_RATIO, MIN_SQL_RATIO = 1.0, 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("reprocess")
    group.add_argument("--reprocess-profiles", type=int, default=10_000, help="payloads stored")
    group.add_argument(
        "--puresql-connections", type=int, default=2, help="pure-SQL batches run at once"
    )


def _dsn(database_url: str) -> str:
    return "postgresql://" + database_url.split("://", 1)[1]


def _one(database_url: str, sql: str, *params: Any) -> Any:
    with psycopg.connect(_dsn(database_url)) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _rows(n: int) -> Iterator[tuple[str, str, str, str]]:
    for i in range(n):
        body = payloads.body_for(i)
        raw = orjson.dumps(body["raw_payload"]).decode()
        yield str(uuid.uuid4()), body["linkedin_url"], body["workflow_slug"], raw


def store_payloads(database_url: str, n: int) -> None:
    """Keep N payloads in `raw.person_payloads`, as `store_raw` would (one COPY)."""
    columns = "job_id, linkedin_url, workflow_slug, raw_payload"
    with psycopg.connect(_dsn(database_url)) as conn:
        with conn.cursor().copy(f"COPY raw.person_payloads ({columns}) FROM STDIN") as copy:
            for row in _rows(n):
                copy.write_row(row)


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


def _reprocess(workers: chain.Fleet, label: str) -> float:
    """One reprocess of every stored payload, timed; returns profiles/s."""
    n = int(_one(workers.database_url, "SELECT count(*) FROM raw.person_payloads"))
    job_id = str(uuid.uuid4())
    body: dict[str, Any] = {"selection": {}, "total": n}
    message = workers.queues.messages("reprocess", "reprocess", [{"job_id": job_id, "body": body}])
    meter = profiling.CpuMeter(chain.cpu_groups(workers.pid, workers.database_url))
    meter.start()
    started = time.monotonic()
    workers.queues.send(message)
    seconds = _wait_job(workers.database_url, job_id) - started
    cpu = meter.stop()
    result = _one(workers.database_url, "SELECT result FROM ops.jobs WHERE job_id = %s", job_id)
    busy = ", ".join(f"{name} {used / seconds:.2f}" for name, used in cpu.items())
    print(
        f"    {label:15s} {n:6d} in {seconds:6.2f} s = {n / seconds:8.1f}/s  "
        f"CPU {1000 * sum(cpu.values()) / n:5.2f} ms each  cores busy: {busy}  {result}"
    )
    return n / seconds


def _pure_sql(n: int, connections: int) -> list[float]:
    """The same payloads in a database of their own, written by SQL alone, twice."""
    rates = []
    with env.scratch_database() as database_url:
        store_payloads(database_url, n)
        for label in ("pure SQL", "pure SQL again"):
            count, seconds, cpu = puresql.run(database_url, connections=connections)
            rates.append(count / seconds)
            print(
                f"    {label:15s} {count:6d} in {seconds:6.2f} s = {rates[-1]:8.1f}/s  "
                f"CPU {1000 * cpu / count:5.2f} ms each (postgres)  cores busy: {cpu / seconds:.2f}"
            )
    return rates


def run(args: argparse.Namespace) -> list[Figure]:
    """No-op chain, store N payloads, reprocess them twice (timed), no-op chain, pure SQL."""
    n = args.reprocess_profiles
    print(f"[reprocess] {args.processes} processes x {args.threads} threads; {n} payloads")
    with chain.fleet(args) as workers:
        noops = chain.noop_messages(workers.queues, 0, 1500, tracked=False)
        noop = [chain._timed(workers, "no-op chain", noops)]
        store_payloads(workers.database_url, n)
        first = _reprocess(workers, "reprocess")
        rate = _reprocess(workers, "reprocess again")
        noop.append(chain._timed(workers, "no-op chain", noops))
    sql_first, sql_again = _pure_sql(n, args.puresql_connections)
    baseline = statistics.mean(r.rate for r in noop)
    figures = [
        Figure(
            BENCH,
            "reprocessed profiles/s",
            rate,
            "/s",
            baseline,
            rate / baseline,
            f">= {MIN_RATIO}x no-op chain",
            rate / baseline >= MIN_RATIO,
            f"rows existing; first run {first:.0f}/s ({first / baseline:.2f}x)",
        ),
        Figure(
            BENCH,
            "reprocessed profiles/s vs pure SQL",
            rate,
            "/s",
            sql_again,
            rate / sql_again,
            f">= {MIN_SQL_RATIO}x pure SQL",
            rate / sql_again >= MIN_SQL_RATIO,
            f"SQL rows existing; first write {sql_first:.0f}/s, reprocess {first / sql_first:.2f}x",
        ),
    ]
    for figure in figures:
        show(figure)
    return figures
