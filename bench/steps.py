"""The person chain's steps in-process, at several call sizes: what a batch costs per profile.

`python -m bench.steps [--profiles N] [--sizes 1,10,50,500]` runs `pipeline.personsteps`
(store_raw, extract_profiles, prepare_sync, sync_people, each in its own transaction as
the stages run them) over the bench's realistic payloads (`bench.payloads`), with no
broker and no job tracking, on a scratch database per call size. It counts, per profile,
SQL statements and commits (SQLAlchemy events), client CPU (this process: SQLAlchemy,
psycopg, the extract/derive transforms) and wall time; wall minus client CPU is about what
PostgreSQL (and the socket) took. When the server runs on this machine and its processes
are readable, the CPU its backends spent (`/proc/<pid>/stat` of each pooled connection's
`pg_backend_pid()`) is reported too. Every size writes the same N profiles into a fresh
database, so the sizes compare like for like. Prints one JSON line per size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, event

#: Profiles stored, extracted and synced before counting (warms caches, registers the slug).
WARMUP = 6


def _count(engine: Engine, counts: Counter[str]) -> None:
    def statement(*_args: Any) -> None:
        counts["statements"] += 1

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)


def _backends(engine: Engine, pids: set[int]) -> None:
    def connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(int(cursor.fetchone()[0]))

    event.listen(engine, "connect", connect)


def backend_cpu(pids: set[int]) -> float | None:
    """Seconds of CPU the server processes `pids` have used, None if unreadable."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _in_steps(engine: Engine, bodies: Sequence[dict[str, Any]]) -> None:
    """One batch through the four steps, one transaction each (as `workers.stages`)."""
    from pipeline import personsteps

    payloads = [
        personsteps.RawPayload(
            job_id=str(uuid.uuid4()),
            linkedin_url=b["linkedin_url"],
            workflow_slug=b["workflow_slug"],
            raw_payload=b["raw_payload"],
        )
        for b in bodies
    ]
    with engine.begin() as conn:
        raw_ids = personsteps.store_raw(conn, payloads)
    with engine.begin() as conn:
        extracted = personsteps.extract_profiles(conn, raw_ids)
    urls = [e.linkedin_url for e in extracted if not isinstance(e, Exception) and e.fresh]
    with engine.begin() as conn:
        prepared = personsteps.prepare_sync(conn, urls)
    with engine.begin() as conn:
        personsteps.sync_people(conn, [p for p in prepared if not isinstance(p, Exception)])


def _register(conn: Connection, slugs: set[str]) -> None:
    from pipeline.reference import describe_workflow
    from pipeline.store import reference

    for slug in sorted(slugs):
        reference.register_workflow(conn, info=describe_workflow(slug))


def run_size(database_url: str, size: int, profiles: int) -> dict[str, Any]:
    """`profiles` payloads in calls of `size`; per-profile counts and times."""
    from bench import payloads
    from pipeline import store

    engine = store.make_engine(database_url, pool_size=2, pre_ping=False)
    pids: set[int] = set()
    _backends(engine, pids)
    bodies = [payloads.body_for(i) for i in range(profiles + WARMUP)]
    with engine.begin() as conn:
        _register(conn, {b["workflow_slug"] for b in bodies})
    _in_steps(engine, bodies[:WARMUP])
    counts: Counter[str] = Counter()
    _count(engine, counts)
    work = bodies[WARMUP:]
    server = backend_cpu(pids)
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(work), size):
        _in_steps(engine, work[start : start + size])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = backend_cpu(pids)
    engine.dispose()
    n = len(work)
    server_ms = None if server is None or after is None else round(1000 * (after - server) / n, 2)
    return {
        "size": size,
        "profiles": n,
        "statements_per_profile": round(counts["statements"] / n, 2),
        "commits_per_profile": round(counts["commits"] / n, 3),
        "client_cpu_ms_per_profile": round(1000 * cpu / n, 2),
        "wall_ms_per_profile": round(1000 * wall / n, 2),
        "wall_minus_cpu_ms_per_profile": round(1000 * (wall - cpu) / n, 2),
        "server_cpu_ms_per_profile": server_ms,
    }


def main(argv: list[str], run: Callable[[str, int, int], dict[str, Any]] = run_size) -> None:
    """Each size on its own scratch database; one JSON line each."""
    from bench import env

    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__)
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--sizes", default="1,10,50,500")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        with env.scratch_database() as url:
            sys.stdout.write(orjson.dumps(run(url, size, args.profiles)).decode() + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
