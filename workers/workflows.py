"""The one actor chain every workflow definition runs on: store raw → extract → sync.

Messages name the definition (by the raw row), never a workflow-specific actor, so a new
definition needs no new actor. Each stage commits once, its status recorded in that commit
through its `StageRun`, then sends the next as its last statement (see `workers.stages`);
every stage is idempotent, so retries and dead-letter replays are safe.
"""

from __future__ import annotations

from typing import Any

from pipeline.store import workflows as store
from pipeline.workflows import registry
from pipeline.workflows.facts import Facts
from workers import names
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import current_run
from workers.stages import PERMANENT


@actor(names.STORE_WORKFLOW, throws=PERMANENT, stage_seq=1)
def store_workflow(job_id: str, body: dict[str, Any]) -> None:
    """Keep the request body exactly as received, then hand it to `extract_workflow`.

    `body` is the gateway's envelope: ``{"workflow_slug", "definition", "natural_key",
    "received"}``; `definition` is None when the slug is registered onto no definition.
    """
    run = current_run()
    with get_engine().begin() as conn:
        raw_id = store.insert_payload(
            conn,
            job_id=job_id,
            workflow_slug=body["workflow_slug"],
            definition=body.get("definition"),
            natural_key=body.get("natural_key"),
            raw_payload=body["received"],
        )
        run.handed_on(conn)
    extract_workflow.send(job_id=job_id, raw_id=raw_id)


@actor(names.EXTRACT_WORKFLOW, throws=PERMANENT, stage_seq=2)
def extract_workflow(job_id: str, raw_id: int) -> None:
    """Run the definition's pure extractor; a body it cannot extract stays raw only."""
    run = current_run()
    with get_engine().begin() as conn:
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
        if facts is None:
            run.completed(conn, _result(done, extracted=False))
        else:
            run.handed_on(conn)
    if not run.final:
        sync_workflow.send(job_id=job_id, raw_id=raw_id)


@actor(names.SYNC_WORKFLOW, throws=PERMANENT, stage_seq=3)
def sync_workflow(job_id: str, raw_id: int) -> None:
    """Apply the extracted facts to `core` (facts, identity, golden record) in one transaction."""
    run = current_run()
    with get_engine().begin() as conn:
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
        run.completed(conn, _result(raw, extracted=True) | summary)


def _result(raw: Any, *, extracted: bool) -> dict[str, Any]:
    return {
        "workflow_slug": raw["workflow_slug"],
        "definition": raw["definition"],
        "natural_key": raw["natural_key"],
        "extracted": extracted,
    }
