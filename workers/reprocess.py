"""`reprocess`: run extract + sync again over stored raw payloads, in batches, as jobs.

How a fixed extractor reaches old data. A reprocess job names payloads by a selection
(`pipeline.store.reprocess`); every source is a raw table plus the stage that extracts its
rows (`SOURCES`: person profiles → `extract_profile`, workflow bodies → `extract_workflow`),
so a new kind of raw payload plugs in with one line. Each run of the actor takes the next
batch of one source in id order, creates one child job per payload (`queued`, its id
derived from the parent's and the payload's) in one transaction, then sends each child to
its source's extract stage, which hands on to sync exactly as a new payload would — the
same stage code, one message per payload — and sends itself again for the next batch. It
waits (sending itself with a delay) while `MAX_IN_FLIGHT` children are unfinished, so
Redis never holds more than that, and completes when every source is done and no child is
in flight. Progress is the children's statuses (`GET /jobs/{id}` → `counts`).

Idempotent: the stages are, and a batch run again (a retry, a replay) creates no new child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from pipeline.store import reprocess as store
from workers import names, stages, workflows
from workers.broker import get_engine
from workers.declare import Declared, actor
from workers.middleware import current_run
from workers.stages import PERMANENT

#: `ops.jobs.kind` of a reprocess job.
JOB_KIND = store.JOB_KIND

#: Payloads per batch: one transaction creates their jobs.
BATCH = 500

#: Unfinished children above which the next batch waits.
MAX_IN_FLIGHT = 2_000

#: How long the reprocess waits before it looks again (children in flight).
WAIT_MS = 1_000


@dataclass(frozen=True)
class Source:
    """A raw table and the stage that extracts its rows (message `job_id`, `raw_id`)."""

    name: str
    table: Table
    kind: str
    extract: Declared[Any, Any]


SOURCES = (
    Source("person", store.SOURCE_TABLES["person"], "person_profile", stages.extract_profile),
    Source("workflow", store.SOURCE_TABLES["workflow"], "workflow", workflows.extract_workflow),
)


@actor(names.REPROCESS, throws=PERMANENT, stage_seq=1)
def reprocess(job_id: str, body: dict[str, Any]) -> None:
    """One step of a reprocess: the next batch, a wait, or the end (see the module doc).

    `body`: ``{"selection", "total", "source": index into SOURCES, "after": last raw id}``.
    """
    run = current_run()
    position, after = int(body.get("source", 0)), int(body.get("after", 0))
    batch: list[tuple[str, int]] = []
    extract = None
    with get_engine().begin() as conn:
        counts = store.child_counts(conn, parent_job_id=job_id)
        waiting = counts["in_flight"] >= MAX_IN_FLIGHT
        while position < len(SOURCES) and not waiting and not batch:
            source = SOURCES[position]
            batch = store.create_batch(
                conn,
                table=source.table,
                selection=body["selection"],
                after_id=after,
                limit=BATCH,
                parent_job_id=job_id,
                source=source.name,
                kind=source.kind,
                stage=source.extract.actor_name,
            )
            extract = source.extract
            position, after = (position, batch[-1][1]) if len(batch) == BATCH else (position + 1, 0)
        if position >= len(SOURCES) and not batch and counts["in_flight"] == 0:
            run.completed(conn, {"total": body["total"], **_final(counts)})
            return
        run.handed_on(conn)
        store.note_total(conn, job_id=job_id, total=body["total"])
    for child, raw_id in batch:
        assert extract is not None
        extract.send(job_id=child, raw_id=raw_id)
    reprocess.send_with_options(
        kwargs={"job_id": job_id, "body": {**body, "source": position, "after": after}},
        delay=None if batch else WAIT_MS,
    )


def _final(counts: dict[str, int]) -> dict[str, int]:
    return {"done": counts["done"], "failed": counts["failed"]}
