"""`POST /run/reprocess` (admin): run extract + sync again over stored raw payloads.

Counts the payloads the selection names (one read), then enqueues one `reprocess` job that
works through them in batches (`workers.reprocess`). A dry run only counts. Like the other
admin jobs it is de-duplicated only on an `Idempotency-Key`: asking again later reprocesses
again (that is the point after an extractor fix).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.deps import AdminDep, ServicesDep
from gateway.errors import ApiError
from gateway.routes import IdempotencyKey, accept
from pipeline.store import reprocess
from schemas import canonical
from schemas.reprocess_api import ReprocessAccepted, ReprocessPreview, ReprocessRequest
from workers import names

router = APIRouter(tags=["ops"])


@router.post(
    "/run/reprocess",
    status_code=202,
    response_model=ReprocessAccepted,
    responses={
        200: {"model": ReprocessPreview, "description": "A dry run: what it would touch"},
        403: {"description": "The key is not an admin key"},
    },
    summary="Re-run extract + sync over stored raw payloads (by workflow, time, person or all)",
)
async def reprocess_payloads(
    request: Request,
    payload: ReprocessRequest,
    services: ServicesDep,
    principal: AdminDep,
    idempotency: IdempotencyKey = None,
) -> Any:
    """Every matching payload becomes a job of its own (a child of this one); the job's
    `counts` in `GET /jobs/{id}` show `done`, `failed` and `total`, and it succeeds once
    every payload is through."""
    selection = payload.selection()
    if payload.linkedin_url is not None:
        person = canonical.linkedin_url(payload.linkedin_url)
        if person is None:
            raise ApiError(422, "is not a LinkedIn profile URL", field="linkedin_url")
        selection["linkedin_url"] = person

    def count() -> int:
        with services.engine.connect() as conn:
            return reprocess.count_matching(conn, selection)

    matched = await run_in_threadpool(count)
    if payload.dry_run:
        return JSONResponse(ReprocessPreview(matched=matched).model_dump(), status_code=200)
    accepted = await accept(
        request,
        services,
        actor=names.REPROCESS,
        kind=reprocess.JOB_KIND,
        body={"selection": selection, "total": matched},
        scope=str(principal.key_id),
        idempotency=idempotency,
        force=idempotency is None,
    )
    return ReprocessAccepted(**accepted.model_dump(), matched=matched)
