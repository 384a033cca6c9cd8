"""`import_people`: a batch of `hq-ingest import` lines, stored and run as one unit of work.

The gateway's `POST /run/people/import` validates every line as the person-profile route
would, gives each accepted line a job of its own (its id derived from the caller and the
line's idempotency key) and sends the batch as one message. Here the batch is stored raw
in one transaction (`personsteps.store_raw`), then runs the same unit of work as a
reprocess batch (`workers.personbatch`): extract, prepare and sync over the set, every
job's status in those transactions. A line that cannot be stored is dead-lettered alone
as the `store_raw` message that replays it through the normal chain.
"""

from __future__ import annotations

from typing import Any

from pipeline.reference import describe_workflow
from pipeline.store import reference
from workers import names, personbatch
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import current_run
from workers.stages import PERMANENT


@actor(names.IMPORT_PEOPLE, throws=PERMANENT, stage_seq=1)
def import_people(job_id: str, items: list[dict[str, Any]]) -> None:
    """Store and run one import batch; `items` are ``{"job_id", "body"}`` with `body` the
    person-profile route's `store_raw` message body. The batch's job ends with its tally."""
    run = current_run()
    engine = get_engine()
    slugs = {str(item["body"].get("workflow_slug") or "") for item in items} - {""}
    with engine.begin() as conn:
        for slug in sorted(slugs):
            reference.register_workflow(conn, info=describe_workflow(slug))
    stored, tally = personbatch.store_batch(engine, items)
    tally += personbatch.run_batch(engine, stored)
    run.complete({"payloads": len(items), **tally})
