"""`POST /run/people/import`: many person-profile bodies in one request, run as one batch.

What `hq-ingest import` sends instead of one webhook per line. Every line is validated as
the person-profile ingest route validates its body (a line that fails is `rejected` with
the same `field: message` that route's 422 states), gets a job of its own whose id is
derived from the caller's key and the line's idempotency key (so a line sent again is a
`duplicate` of that job, however long ago), and the new lines go to the workers as one
`import_people` message: stored raw and run through extract + sync as one unit of work
(`workers.importer`, the reprocess batches' path). Each line's job is polled as usual
(`GET /jobs/{id}`). Callback fields of a line are ignored: an import sends no callbacks.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from gateway.deps import PrincipalDep, ServicesDep
from gateway.errors import ApiError, validation_text
from gateway.routes import QUEUED_TTL_S, exact_json
from pipeline.store import reprocess as store
from pipeline.workflows import person_profile
from schemas.import_api import ImportAccepted, ImportRequest, ImportVerdict
from schemas.webhooks import PersonProfileIngest
from workers import callbacks as hooks
from workers import names

router = APIRouter(tags=["workflows"])

#: Namespace of import job ids: uuid5 of (caller's key id, line's idempotency key).
JOB_NAMESPACE = uuid.UUID("6b1f3c52-8f0e-4d59-9a57-0d9f1c3e2a71")


def line_job_id(scope: str, key: str) -> str:
    """The job of an import line: the same caller and key always name the same job."""
    return str(uuid.uuid5(JOB_NAMESPACE, f"{scope}\0{key}"))


@router.post(
    "/run/people/import",
    status_code=202,
    response_model=ImportAccepted,
    summary="Import up to 500 person-profile bodies as one batch (hq-ingest import)",
)
async def import_people(
    request: Request, payload: ImportRequest, services: ServicesDep, principal: PrincipalDep
) -> ImportAccepted:
    """Each line answers `accepted` (a new job), `duplicate` (its key's job exists) or
    `rejected` (with the route's validation error), in order."""
    received = await exact_json(request)  # the bodies with every number exactly as sent
    scope = str(principal.key_id)
    verdicts: list[ImportVerdict] = []
    fresh: dict[str, dict[str, Any]] = {}
    for line, exact in zip(payload.items, received["items"], strict=True):
        verdicts.append(_verdict(line.key, exact["body"], scope, fresh))
    known = await run_in_threadpool(_known, services, list(fresh))
    for verdict in verdicts:
        if verdict.job_id in known:
            verdict.status = "duplicate"
            fresh.pop(verdict.job_id, None)
    batch_job = str(uuid.uuid4()) if fresh else None
    if fresh:
        await _send(services, batch_job, fresh)
    return ImportAccepted(job_id=batch_job, items=verdicts)


def _verdict(key: str, body: Any, scope: str, fresh: dict[str, dict[str, Any]]) -> ImportVerdict:
    """Validate one line; a new one joins `fresh` (job id → `store_raw` body)."""
    try:
        ingest = PersonProfileIngest.model_validate(body)
    except ValidationError as err:
        error = validation_text([dict(e) for e in err.errors()])
        return ImportVerdict(status="rejected", error=error)
    job_id = line_job_id(scope, key)
    if job_id in fresh:
        return ImportVerdict(status="duplicate", job_id=job_id)
    chain = person_profile.DEFINITION.chain
    assert chain is not None
    message, _callback = hooks.take_spec(chain.message(ingest, body))
    fresh[job_id] = message
    return ImportVerdict(status="accepted", job_id=job_id)


def _known(services: Any, job_ids: list[str]) -> set[str]:
    with services.engine.connect() as conn:
        return store.existing_jobs(conn, job_ids=job_ids)


async def _send(services: Any, batch_job: str | None, fresh: dict[str, dict[str, Any]]) -> None:
    """One message for the batch; each line's job is known as queued until it is stored."""
    items = [{"job_id": job_id, "body": body} for job_id, body in fresh.items()]
    enqueuer = services.enqueuer
    try:
        await enqueuer.send(names.IMPORT_PEOPLE, job_id=batch_job, items=items)
        marker = {"kind": names.STORE_RAW.job_kind}
        await asyncio.gather(
            *(enqueuer.note_queued(job_id, marker, ttl_s=QUEUED_TTL_S) for job_id in fresh)
        )
    except Exception:
        raise ApiError(503, "the queue is unavailable; send the lines again") from None
