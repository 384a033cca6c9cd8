"""SQL round trips per profile: the load-independent cost behind the chain's throughput.

`python -m bench.roundtrips` (run by `bench.chain` in a child process with `DATABASE_URL`
set and no `REDIS_URL`) runs the real actors with the production middleware on the
embedded fakeredis broker, in one worker thread, and counts with SQLAlchemy events what
each profile costs PostgreSQL: statements, transactions (commits, plus autocommit
statements, which commit on their own) and pool checkouts (each one a `pool_pre_ping`
round trip), split into status tracking (`ops.*`) and stage work. (Before the one-commit
tracking, status writes also went through a second engine these events did not see.)
Prints one JSON object.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from typing import Any

import orjson
from sqlalchemy import event

#: Profiles run; the first is not counted (it registers the workflow slug, warms caches).
PROFILES = 21


def _count(engine: Any, counts: Counter[str]) -> None:
    def statement(conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        kind = "ops" if " ops." in f" {sql}" else "stage"
        counts[f"{kind} statements"] += 1
        if conn.get_isolation_level() == "AUTOCOMMIT":  # each one commits on its own
            counts["autocommit statements"] += 1

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    def checkout(*_args: Any) -> None:
        counts["pool checkouts (pings)"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    event.listen(engine.pool, "checkout", checkout)


def main() -> None:
    """Run PROFILES profiles through the chain; print per-profile counts as JSON."""
    import dramatiq

    import workers
    from bench import payloads
    from workers import stages
    from workers.broker import get_engine

    workers.setup()  # broker on embedded fakeredis, actors declared
    counts: Counter[str] = Counter()
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=20)
    worker.start()
    try:
        for index in range(PROFILES):
            if index == 1:
                _count(get_engine(), counts)
            stages.store_raw.send(job_id=str(uuid.uuid4()), body=payloads.body_for(index))
            for queue in ("store_raw", "extract_profile", "sync_core"):
                broker.join(queue, timeout=60_000)
            worker.join()
    finally:
        worker.stop()
    per_profile = {name: value / (PROFILES - 1) for name, value in sorted(counts.items())}
    sys.stdout.write(orjson.dumps(per_profile).decode() + "\n")


if __name__ == "__main__":
    main()
