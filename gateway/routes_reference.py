"""Reference routes: job-title and location lookups, updates and backfills.

Lookups are sent to their actor like any job, and the gateway waits up to
`settings.lookup_wait_ms` for the answer so Clay can use it in its next column; past that
it answers 202 with the job to poll. Updates and backfills are admin-only and answer 202.
They are de-duplicated only on an `Idempotency-Key`: sending the same update again later
must apply it again (it may undo a change made in between).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from dramatiq.results import ResultFailure
from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError

from gateway.deps import AdminDep, PrincipalDep, Services, ServicesDep
from gateway.errors import ApiError, error_answer
from gateway.routes import QUEUED_TTL_S, Force, IdempotencyKey, accept, job_url
from schemas.api import JobAccepted
from schemas.reference_api import (
    JobTitleLookup,
    JobTitleLookupResult,
    JobTitleUpdate,
    LocationLookup,
    LocationLookupResult,
    LocationUpdate,
    TickerItem,
)
from workers import names
from workers.names import ActorName
from workers.transport import Enqueuer

router = APIRouter(tags=["reference"])
log = logging.getLogger("hq.gateway")

#: What a lookup answers when its wait runs out.
_LOOKUP_TIMEOUT: dict[int | str, dict[str, Any]] = {
    202: {"model": JobAccepted, "description": "Not answered within the wait; poll the job"}
}
_ADMIN_ONLY: dict[int | str, dict[str, Any]] = {403: error_answer("The key is not an admin key")}


async def _lookup(
    request: Request, services: Services, actor: ActorName, body: dict[str, Any]
) -> Any:
    """Send a lookup and wait for its answer; 202 with the job when the wait runs out."""
    job_id = str(uuid.uuid4())
    enqueuer = services.enqueuer
    try:
        message = await enqueuer.send(actor, job_id=job_id, body=body)
    except Exception:
        raise ApiError(503, "the queue is unavailable; nothing was accepted, retry") from None
    try:
        answer = await enqueuer.wait_result(message, timeout_ms=services.settings.lookup_wait_ms)
    except (TimeoutError, RedisError):  # the job is queued: the caller polls it
        return await _queued(request, enqueuer, job_id, kind=actor.job_kind or "task")
    except ResultFailure:
        raise ApiError(500, f"the lookup failed; see job {job_id}", code="lookup_failed") from None
    return {**answer, "job_id": job_id}


async def _queued(request: Request, enqueuer: Enqueuer, job_id: str, *, kind: str) -> JSONResponse:
    """202 with the job to poll; marked queued so `GET /jobs/{id}` knows it meanwhile."""
    try:
        await enqueuer.note_queued(job_id, {"kind": kind}, ttl_s=QUEUED_TTL_S)
    except RedisError as err:  # the worker creates the job's row all the same
        log.warning("could not mark lookup %s queued: %r", job_id, err)
    accepted = JobAccepted(job_id=job_id, status_url=job_url(request, job_id))
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202)


@router.post(
    "/run/people/db/person-job-title/lookup",
    response_model=JobTitleLookupResult,
    responses=_LOOKUP_TIMEOUT,
    summary="Look a job title up in the reference table (with a suggestion on a miss)",
)
async def lookup_job_title(
    request: Request, payload: JobTitleLookup, services: ServicesDep, _principal: PrincipalDep
) -> Any:
    """Case- and whitespace-insensitive match on `reference.job_title_lookup`."""
    return await _lookup(request, services, names.LOOKUP_JOB_TITLE, payload.model_dump(mode="json"))


@router.post(
    "/run/people/db/person-location/lookup",
    response_model=LocationLookupResult,
    responses=_LOOKUP_TIMEOUT,
    summary="Look a location up in the reference table (with a suggestion on a miss)",
)
async def lookup_location(
    request: Request, payload: LocationLookup, services: ServicesDep, _principal: PrincipalDep
) -> Any:
    """Case- and whitespace-insensitive match on `reference.location_lookup`."""
    return await _lookup(request, services, names.LOOKUP_LOCATION, payload.model_dump(mode="json"))


async def _admin_job(
    request: Request,
    services: Services,
    principal: AdminDep,
    *,
    actor: ActorName,
    kind: str,
    body: dict[str, Any],
    idempotency: str | None,
) -> JobAccepted:
    return await accept(
        request,
        services,
        actor=actor,
        kind=kind,
        body=body,
        scope=str(principal.key_id),
        idempotency=idempotency,
        force=idempotency is None,
    )


async def _update(
    request: Request,
    services: Services,
    principal: AdminDep,
    idempotency: str | None,
    *,
    kind: str,
    payload: BaseModel,
) -> JobAccepted:
    """Queue `update_reference` for one title or location; only the fields sent change."""
    changes = payload.model_dump(mode="json", exclude_unset=True)
    return await _admin_job(
        request,
        services,
        principal,
        actor=names.UPDATE_REFERENCE,
        kind="reference_update",
        body={"kind": kind, "update": changes},
        idempotency=idempotency,
    )


#: Route options every admin job shares: 202 with the job to poll, 403 for other keys.
_ADMIN_JOB: dict[str, Any] = {
    "status_code": 202,
    "response_model": JobAccepted,
    "responses": _ADMIN_ONLY,
}


@router.post(
    "/run/reference/job-title/update",
    summary="Set a job title's reference values; fields left out keep theirs",
    **_ADMIN_JOB,
)
async def update_job_title(
    request: Request,
    payload: JobTitleUpdate,
    services: ServicesDep,
    principal: AdminDep,
    idempotency: IdempotencyKey = None,
) -> JobAccepted:
    """Applied by `update_reference`; people unmatched on this title are then re-synced."""
    return await _update(
        request, services, principal, idempotency, kind="job_title", payload=payload
    )


@router.post(
    "/run/reference/location/update",
    summary="Set a location's reference values; fields left out keep theirs",
    **_ADMIN_JOB,
)
async def update_location(
    request: Request,
    payload: LocationUpdate,
    services: ServicesDep,
    principal: AdminDep,
    idempotency: IdempotencyKey = None,
) -> JobAccepted:
    """Applied by `update_reference`; people unmatched on this location are then re-synced."""
    return await _update(
        request, services, principal, idempotency, kind="location", payload=payload
    )


@router.post(
    "/run/reference/job-title/backfill",
    summary="Fill reference seniority/function from PDL title data, then re-match people",
    **_ADMIN_JOB,
)
async def backfill_job_titles(
    request: Request,
    services: ServicesDep,
    principal: AdminDep,
    idempotency: IdempotencyKey = None,
) -> JobAccepted:
    """The job's result counts titles filled (seniority, function) and people re-matched."""
    return await _admin_job(
        request,
        services,
        principal,
        actor=names.BACKFILL_JOB_TITLES,
        kind="job_title_backfill",
        body={},
        idempotency=idempotency,
    )


TickerBody = Annotated[
    TickerItem | list[TickerItem],
    Body(
        openapi_examples={
            "one": {"value": {"domain": "acme.com", "ticker": "ACME"}},
            "many": {
                "value": [
                    {"domain": "https://www.acme.com/", "ticker": "acme"},
                    {"domain": "globex.io", "ticker": "GBX"},
                ]
            },
        }
    ),
]


@router.post(
    "/run/companies/db/public-ticker/backfill",
    summary="Set public tickers by company domain (one item or a list)",
    **_ADMIN_JOB,
)
async def backfill_public_tickers(
    request: Request,
    payload: TickerBody,
    services: ServicesDep,
    principal: AdminDep,
    idempotency: IdempotencyKey = None,
    force: Force = False,
) -> JobAccepted:
    """The job's result lists the domains no company has yet (their tickers are kept)."""
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise ApiError(422, "send one {domain, ticker} or a non-empty list", field="body")
    return await accept(
        request,
        services,
        actor=names.BACKFILL_PUBLIC_TICKERS,
        kind="public_ticker_backfill",
        body={"items": [item.model_dump(mode="json") for item in items]},
        scope=str(principal.key_id),
        idempotency=idempotency,
        force=force,
    )
