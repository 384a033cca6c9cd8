"""One actor per stage of the person chain, each micro-batched (`workers.batching`).

An actor only validates its message, submits its item to its stage's `Batcher` and, with
its own outcome back, sends its job's next stage. The batch function runs the
`pipeline.personsteps` step over the whole batch in one transaction and records every
item that succeeded in that same commit (`record_runs`), so the middleware has nothing
left to write for them; an item that failed raises in its own actor thread, and Tracking
records its retry or dead letter as for any message. The next stage is sent after the
commit: if Redis refuses it the actor raises and is retried (the stage itself is
idempotent), unlike the Pipelines middleware, which would swallow the failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from pipeline import personsteps
from pipeline.errors import PermanentError
from pipeline.reference import describe_workflow
from pipeline.store import reference
from schemas.webhooks import TRUSTED, PersonProfileIngest
from workers import names
from workers.batching import Batcher, Job
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import StageRun, current_run, record_runs

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
    request = PersonProfileIngest.model_validate(body, context=TRUSTED)
    _register(request.workflow_slug)
    payload = personsteps.RawPayload(
        job_id=job_id,
        linkedin_url=request.linkedin_url,
        workflow_slug=request.workflow_slug,
        raw_payload=request.raw_payload,
    )
    raw_id = STORE_RAW.submit(Job.current(payload))
    extract_profile.send(job_id=job_id, raw_id=raw_id)


@actor(names.EXTRACT_PROFILE, throws=PERMANENT, stage_seq=2)
def extract_profile(job_id: str, raw_id: int) -> None:
    """Extract profile, experience and education from a raw payload; skip it if stale."""
    run = current_run()
    outcome = EXTRACT_PROFILE.submit(Job(run, raw_id))
    if not run.final:
        sync_core.send(job_id=job_id, linkedin_url=outcome.linkedin_url)


@actor(names.SYNC_CORE, throws=PERMANENT, stage_seq=3)
def sync_core(job_id: str, linkedin_url: str) -> None:
    """Bring `core` in line with the person's extracted rows; the job's last stage."""
    SYNC_CORE.submit(Job.current(linkedin_url))


def _store_raw(jobs: Sequence[Job[personsteps.RawPayload]]) -> list[int | Exception]:
    """Keep a batch of bodies and record every stored one as handed on, in one commit."""
    with get_engine().begin() as conn:
        raw_ids = personsteps.store_raw(conn, [job.value for job in jobs])
        record_runs(conn, _succeeded(jobs, raw_ids, lambda _: None))
    return list(raw_ids)


def _extract_profiles(jobs: Sequence[Job[int]]) -> list[personsteps.Extracted | Exception]:
    """Extract a batch of raw payloads, in one commit with every extracted job's record."""
    with get_engine().begin() as conn:
        outcomes = personsteps.extract_profiles(conn, [job.value for job in jobs])
        record_runs(conn, _succeeded(jobs, outcomes, _stale_result))
    return outcomes


def _sync_people(jobs: Sequence[Job[str]]) -> list[dict[str, Any] | Exception]:
    """Sync a batch of persons: companies commit first (their rows are shared), then the
    persons with every synced job's record."""
    with get_engine().begin() as conn:
        prepared = personsteps.prepare_sync(conn, [job.value for job in jobs])
    ready = [p for p in prepared if not isinstance(p, Exception)]
    with get_engine().begin() as conn:
        synced = iter(personsteps.sync_people(conn, ready))
        outcomes = [p if isinstance(p, Exception) else next(synced) for p in prepared]
        record_runs(conn, _succeeded(jobs, outcomes, lambda summary: summary))
    return outcomes


def _succeeded(
    jobs: Sequence[Job[Any]],
    outcomes: Sequence[Any],
    result: Callable[[Any], dict[str, Any] | None],
) -> list[tuple[StageRun, dict[str, Any] | None]]:
    """The runs to record for the items that succeeded: (run, the job's result if the item
    completed it, else None)."""
    return [
        (job.run, result(outcome))
        for job, outcome in zip(jobs, outcomes, strict=True)
        if not isinstance(outcome, Exception)
    ]


def _stale_result(outcome: personsteps.Extracted) -> dict[str, Any] | None:
    """A stale payload ends its job; a fresh one hands it on."""
    return None if outcome.fresh else {"linkedin_url": outcome.linkedin_url, "stale": True}


#: The stages' batchers (one per process; see `workers.batching`).
STORE_RAW = Batcher(names.STORE_RAW.actor_name, _store_raw)
EXTRACT_PROFILE = Batcher(names.EXTRACT_PROFILE.actor_name, _extract_profiles)
SYNC_CORE = Batcher(names.SYNC_CORE.actor_name, _sync_people)


def _register(slug: str) -> None:
    """Record the slug in its own transaction, before the payload, so even one that dies
    later registers it (once per process and database)."""
    engine = get_engine()
    known = (str(engine.url), slug)  # per database: a process may serve more than one
    if known not in _known_slugs:
        with engine.begin() as conn:
            reference.register_workflow(conn, info=describe_workflow(slug))
        _known_slugs.add(known)
