"""One actor per stage. Each loads its input, calls `pipeline`, commits once, then hands on.

Each stage records its own outcome in that commit through its `StageRun` (`handed_on`, or
`completed` with the job's result when it finishes the job), so the middleware has nothing
left to write. The next stage is sent after the commit: if Redis
refuses it the actor raises and is retried (the stage itself is idempotent), unlike the
Pipelines middleware, which would swallow the failure.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pipeline import personsteps
from pipeline.errors import PermanentError
from pipeline.reference import describe_workflow
from pipeline.store import reference
from schemas.webhooks import TRUSTED, PersonProfileIngest
from workers import names
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import current_run

#: Errors no retry can fix: the message goes straight to the dead-letter store.
PERMANENT = (PermanentError, ValidationError)

#: (database, workflow slug) pairs this process registered, to skip a write per payload.
_known_slugs: set[tuple[str, str]] = set()


@actor(names.STORE_RAW, throws=PERMANENT, stage_seq=1)
def store_raw(job_id: str, body: dict[str, Any]) -> None:
    """Keep the webhook body exactly as received, then hand it to `extract_profile`.

    The body is the gateway's `model_dump` of an accepted request: validated again (the
    fields' own rules), but not linted and bounds-walked a second time.
    """
    run = current_run()
    request = PersonProfileIngest.model_validate(body, context=TRUSTED)
    _register(request.workflow_slug)
    payload = personsteps.RawPayload(
        job_id=job_id,
        linkedin_url=request.linkedin_url,
        workflow_slug=request.workflow_slug,
        raw_payload=request.raw_payload,
    )
    with get_engine().begin() as conn:
        [raw_id] = personsteps.store_raw(conn, [payload])
        run.handed_on(conn)
    extract_profile.send(job_id=job_id, raw_id=raw_id)


@actor(names.EXTRACT_PROFILE, throws=PERMANENT, stage_seq=2)
def extract_profile(job_id: str, raw_id: int) -> None:
    """Extract profile, experience and education from a raw payload; skip it if stale."""
    run = current_run()
    with get_engine().begin() as conn:
        [outcome] = personsteps.extract_profiles(conn, [raw_id])
        if isinstance(outcome, Exception):
            raise outcome
        if outcome.fresh:
            run.handed_on(conn)
        else:
            run.completed(conn, {"linkedin_url": outcome.linkedin_url, "stale": True})
    if not run.final:
        sync_core.send(job_id=job_id, linkedin_url=outcome.linkedin_url)


@actor(names.SYNC_CORE, throws=PERMANENT, stage_seq=3)
def sync_core(job_id: str, linkedin_url: str) -> None:
    """Bring `core` in line with the person's extracted rows; the job's last stage."""
    run = current_run()
    with get_engine().begin() as conn:  # companies commit at once: their rows are shared
        [prepared] = personsteps.prepare_sync(conn, [linkedin_url])
    if isinstance(prepared, Exception):
        raise prepared
    with get_engine().begin() as conn:
        [summary] = personsteps.sync_people(conn, [prepared])
        run.completed(conn, summary)


def _register(slug: str) -> None:
    """Record the slug in its own transaction, before the payload, so even one that dies
    later registers it (once per process and database)."""
    engine = get_engine()
    known = (str(engine.url), slug)  # per database: a process may serve more than one
    if known not in _known_slugs:
        with engine.begin() as conn:
            reference.register_workflow(conn, info=describe_workflow(slug))
        _known_slugs.add(known)
