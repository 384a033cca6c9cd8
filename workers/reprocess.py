"""`reprocess`: run extract + sync again over stored raw payloads, in batches, as jobs.

How a fixed extractor reaches old data. A reprocess job names payloads by a selection
(`pipeline.store.reprocess`); every source is a raw table plus how its rows are run
(`SOURCES`). Each run of the `reprocess` actor takes the next batch of one source in id
order, creates one child job per payload (`queued`, its id derived from the parent's and
the payload's) in one transaction, hands the batch on, and sends itself again for the next.

- Person profiles: the whole batch is one `reprocess_batch` message, run as one unit of
  work (`workers.personbatch`: extract, prepare and sync over the set, every child's status
  in those same transactions; a payload that fails is dead-lettered alone as an
  `extract_profile` message, which replays through the normal chain).
- Workflow bodies keep one `extract_workflow` message per payload (the normal chain):
  their definitions have no set-based steps yet, and they are a small share of what is
  stored.

It waits (sending itself with a delay) while `MAX_IN_FLIGHT` children are unfinished, so
that many batches at most run at once (on every worker process), and completes when every
source is done and no child is in flight. Progress is the children's statuses
(`GET /jobs/{id}` → `counts`).

Idempotent: the steps are, and a batch run again (a retry, a replay) creates no new child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from pipeline.store import reprocess as store
from workers import names, personbatch, workflows
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import current_run
from workers.stages import PERMANENT

#: `ops.jobs.kind` of a reprocess job.
JOB_KIND = store.JOB_KIND

#: Payloads per batch: one transaction creates their jobs; one unit of work runs them.
BATCH = 500

#: Unfinished children above which the next batch waits: four person batches in flight at
#: most, two per worker process (`transport.WHOLE_BATCH_PREFETCH`).
MAX_IN_FLIGHT = 2_000

#: How long the reprocess waits before it looks again (children in flight).
WAIT_MS = 200


@dataclass(frozen=True)
class Source:
    """A raw table and the stage its batches go to: a batch actor (`batched`: one message,
    ``items`` of [child job id, raw id, slug]) or the stage that extracts one row (message
    `job_id`, `raw_id`)."""

    name: str
    table: Table
    kind: str
    stage: str
    batched: bool


SOURCES = (
    Source("person", store.SOURCE_TABLES["person"], "person_profile", "reprocess_batch", True),
    Source("workflow", store.SOURCE_TABLES["workflow"], "workflow", "extract_workflow", False),
)


@actor(names.REPROCESS, throws=PERMANENT, stage_seq=1)
def reprocess(job_id: str, body: dict[str, Any]) -> None:
    """One step of a reprocess: the next batch, a wait, or the end (see the module doc).

    `body`: ``{"selection", "total", "source": index into SOURCES, "after": last raw id}``.
    """
    run = current_run()
    position, after = int(body.get("source", 0)), int(body.get("after", 0))
    batch: list[tuple[str, int, str]] = []
    source = SOURCES[0]
    with get_engine().begin() as conn:
        in_flight = store.children_in_flight(conn, parent_job_id=job_id)
        waiting = in_flight + BATCH > MAX_IN_FLIGHT
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
                stage=source.stage,
            )
            position, after = (position, batch[-1][1]) if len(batch) == BATCH else (position + 1, 0)
        if position >= len(SOURCES) and not batch and in_flight == 0:
            counts = store.child_counts(conn, parent_job_id=job_id)
            run.completed(conn, {"total": body["total"], **_final(counts)})
            return
        run.handed_on(conn)
        if "after" not in body:  # the first step
            store.note_total(conn, job_id=job_id, total=body["total"])
    if batch:
        _hand_on(source, job_id, batch)
    reprocess.send_with_options(
        kwargs={"job_id": job_id, "body": {**body, "source": position, "after": after}},
        delay=None if batch else WAIT_MS,
    )


def _hand_on(source: Source, parent_job_id: str, batch: list[tuple[str, int, str]]) -> None:
    """Send a created batch to its source's stage: one message, or one per payload."""
    if source.batched:
        first = batch[0][1]
        batch_job = store.child_job_id(parent_job_id, f"{source.name}-batch", first)
        items = [list(item) for item in batch]
        reprocess_batch.send(job_id=batch_job, parent_job_id=parent_job_id, items=items)
        return
    for child, raw_id, _slug in batch:
        workflows.extract_workflow.send(job_id=child, raw_id=raw_id)


@actor(names.REPROCESS_BATCH, throws=PERMANENT, stage_seq=1)
def reprocess_batch(job_id: str, parent_job_id: str, items: list[list[Any]]) -> None:
    """Run one batch of a reprocess's person payloads as one unit of work
    (`workers.personbatch`); the batch's own job ends with its tally."""
    run = current_run()
    batch = [
        personbatch.Item(str(child), int(raw_id), slug, parent_job_id)
        for child, raw_id, slug in items
    ]
    tally = personbatch.run_batch(get_engine(), batch)
    run.complete({"payloads": len(batch), **tally})


def _final(counts: dict[str, int]) -> dict[str, int]:
    return {"done": counts["done"], "failed": counts["failed"]}
