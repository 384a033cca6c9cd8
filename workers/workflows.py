"""The one actor chain every workflow definition runs on: store raw → extract → sync.

Messages name the definition (by the raw row), never a workflow-specific actor, so a new
definition needs no new actor. Each stage is micro-batched (`workers.batching.per_item`):
the messages waiting together run in one transaction, each item in a savepoint (a failing
item rolls back alone), every item's status recorded in that one commit; each actor then
sends its own next stage (see `workers.stages`). Every stage is idempotent, so retries and
dead-letter replays are safe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from pipeline.store import workflows as store
from pipeline.workflows import registry
from pipeline.workflows.facts import Facts
from workers import names
from workers.batching import Job, per_item
from workers.declare import actor
from workers.middleware import current_run
from workers.stages import PERMANENT


@actor(names.STORE_WORKFLOW, throws=PERMANENT, stage_seq=1)
def store_workflow(job_id: str, body: dict[str, Any]) -> None:
    """Keep the request body exactly as received, then hand it to `extract_workflow`.

    `body` is the gateway's envelope: ``{"workflow_slug", "definition", "natural_key",
    "received"}``; `definition` is None when the slug is registered onto no definition.
    """
    raw_id = STORE.submit(Job.current((job_id, body)))
    extract_workflow.send(job_id=job_id, raw_id=raw_id)


@actor(names.EXTRACT_WORKFLOW, throws=PERMANENT, stage_seq=2)
def extract_workflow(job_id: str, raw_id: int) -> None:
    """Run the definition's pure extractor; a body it cannot extract stays raw only."""
    run = current_run()
    EXTRACT.submit(Job(run, raw_id))
    if not run.final:
        sync_workflow.send(job_id=job_id, raw_id=raw_id)


@actor(names.SYNC_WORKFLOW, throws=PERMANENT, stage_seq=3)
def sync_workflow(job_id: str, raw_id: int) -> None:
    """Apply the extracted facts to `core` (facts, identity, golden record) in one transaction."""
    SYNC.submit(Job.current(raw_id))


def _store(conn: Connection, item: tuple[str, dict[str, Any]]) -> tuple[int, None]:
    job_id, body = item
    raw_id = store.insert_payload(
        conn,
        job_id=job_id,
        workflow_slug=body["workflow_slug"],
        definition=body.get("definition"),
        natural_key=body.get("natural_key"),
        raw_payload=body["received"],
    )
    return raw_id, None


def _extract(conn: Connection, raw_id: int) -> tuple[None, dict[str, Any] | None]:
    """Extract one payload; the job's result if it ends here (nothing to sync)."""
    raw = store.load_payload(conn, raw_id=raw_id)
    # A body kept raw because its slug had no definition yet is extracted with the one
    # the registry names now (how reprocess picks it up once the slug is registered).
    name = raw["definition"] or store.registered_definition(
        conn, workflow_slug=raw["workflow_slug"]
    )
    definition = registry.get(name)
    facts = definition.run(raw["raw_payload"])[1] if definition else None
    if facts is not None and facts.empty:
        facts = None
    store.mark_extracted(
        conn,
        raw_id=raw_id,
        facts=facts.model_dump(mode="json") if facts else None,
        definition=definition.name if definition else None,
    )
    done = {**raw, "definition": definition.name if definition else None}
    return None, (_result(done, extracted=False) if facts is None else None)


def _sync(conn: Connection, raw_id: int) -> tuple[None, dict[str, Any]]:
    raw = store.load_payload(conn, raw_id=raw_id)
    facts = Facts.model_validate(raw["facts"])
    summary = store.apply(
        conn,
        facts=facts,
        source=raw["workflow_slug"],
        raw_id=raw_id,
        received_at=raw["received_at"],
    )
    store.add_flags(conn, raw_id=raw_id, flags=summary["flags"])
    return None, _result(raw, extracted=True) | summary


def _result(raw: Any, *, extracted: bool) -> dict[str, Any]:
    return {
        "workflow_slug": raw["workflow_slug"],
        "definition": raw["definition"],
        "natural_key": raw["natural_key"],
        "extracted": extracted,
    }


#: The stages' batchers: each item in a savepoint of its batch's one transaction.
STORE = per_item(names.STORE_WORKFLOW.actor_name, _store)
EXTRACT = per_item(names.EXTRACT_WORKFLOW.actor_name, _extract)
SYNC = per_item(names.SYNC_WORKFLOW.actor_name, _sync)
