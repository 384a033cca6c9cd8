"""Client lead routes: link and read, scoped by client_domain (ingest routes are workflow
definitions, `pipeline/workflows/client_lead.py`).

These are the routes a key scoped to one client_domain may use (`ClientDep`): it may send
and read only that client's leads, any other client_domain answers 403. Admin keys may act
for every client.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from gateway import params
from gateway.auth import Principal
from gateway.deps import ClientDep, ConnectionDep, Services, ServicesDep
from gateway.errors import ApiError, error_answer
from gateway.routes import ClientDomainQuery, Force, IdempotencyKey, accept, exact_json
from pipeline import dates, normalize
from pipeline import leads as lead_rules
from pipeline.store import leads
from schemas import canonical
from schemas.api import JobAccepted
from schemas.leads_api import LINK_WORKFLOW, LeadLinkBatch, LeadsPage, TargetLeadLink
from workers import names

router = APIRouter(tags=["leads"])

_SCOPED: dict[int | str, dict[str, Any]] = {
    403: error_answer("The key is scoped to another client_domain")
}


_LINK_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_SCOPED,
    422: error_answer("A lead names no usable key; `error.field` names it (`leads[1].work_email`)"),
}


@router.post(
    "/run/target-client/leads/link",
    status_code=202,
    response_model=JobAccepted,
    responses=_LINK_RESPONSES,
    summary="Link one of a client's leads to the golden person and company",
)
async def link_lead(
    request: Request,
    payload: TargetLeadLink,
    services: ServicesDep,
    principal: ClientDep,
    idempotency: IdempotencyKey = None,
    force: Force = False,
) -> JobAccepted:
    """Joins the client's lead person (normalised e-mail, else LinkedIn URL) to the golden
    person and its company (domain) to the golden company, by key (`client.lead_links`);
    `GET /api/leads` then shows `golden_person` / `golden_company`. The job's result counts
    `linked` and `unlinked` leads. Linking again changes nothing."""
    _check_keys(payload.lead_fields(), prefix="")
    return await _accept_link(request, payload, services, principal, idempotency, force)


@router.post(
    "/run/target-client/leads/link-batch",
    status_code=202,
    response_model=JobAccepted,
    responses=_LINK_RESPONSES,
    summary="Link a list of a client's leads to the golden people and companies",
)
async def link_leads(
    request: Request,
    payload: LeadLinkBatch,
    services: ServicesDep,
    principal: ClientDep,
    idempotency: IdempotencyKey = None,
    force: Force = False,
) -> JobAccepted:
    """`/run/target-client/leads/link` for each of `leads` (1–1000, one client), in one job."""
    for i, body in enumerate(payload.lead_bodies()):
        _check_keys(body, prefix=f"leads[{i}].")
    return await _accept_link(request, payload, services, principal, idempotency, force)


def _check_keys(body: dict[str, Any], *, prefix: str) -> None:
    if problem := lead_rules.link_problem(body):
        field, message = problem
        raise ApiError(422, message, field=prefix + field)
    readable_lead(body, prefix=prefix)


async def _accept_link(
    request: Request,
    payload: TargetLeadLink | LeadLinkBatch,
    services: Services,
    principal: Principal,
    idempotency: str | None,
    force: bool,
) -> JobAccepted:
    client_domain = payload.normalized_client_domain()
    principal.require_client(client_domain)
    received = await exact_json(request)  # kept exactly as sent
    return await accept(
        request,
        services,
        actor=names.STORE_LEAD_LINK,
        kind="lead_link",
        body={
            "workflow_slug": LINK_WORKFLOW,
            "batch": isinstance(payload, LeadLinkBatch),
            "request": received,
        },
        scope=str(principal.key_id),
        idempotency=idempotency,
        force=force,
        client_domain=client_domain,
    )


@router.get("/api/leads", response_model=LeadsPage, responses=_SCOPED)
def list_leads(
    conn: ConnectionDep,
    principal: ClientDep,
    client_domain: ClientDomainQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> dict[str, Any]:
    """The client's leads, newest submission first, with the people and companies they name."""
    domain = principal.client_scope(_normalized(client_domain))
    page, after = leads.leads_page(
        conn, client_domain=domain, limit=limit, before=_decode(cursor) if cursor else None
    )
    person_keys = [lead["person_key"] for lead in page if lead["person_key"]]
    domains = [lead["company_domain"] for lead in page if lead["company_domain"]]
    golden_people, golden_companies = leads.lead_golden(
        conn, client_domain=domain, person_keys=person_keys, domains=domains
    )
    for lead in page:
        lead["golden_person"] = golden_people.get(lead["person_key"])
        lead["golden_company"] = golden_companies.get(lead["company_domain"])
    return {
        "client_domain": domain,
        "leads": page,
        "people": leads.lead_people(conn, client_domain=domain, person_keys=person_keys),
        "companies": leads.lead_companies(conn, client_domain=domain, domains=domains),
        "counts": leads.lead_counts(conn, client_domain=domain),
        "next_cursor": _encode(after) if after else None,
    }


def readable_lead(body: dict[str, Any], *, prefix: str = "") -> None:
    """A value the pipeline could only drop (a NULL) or misread is a 422 at the door."""
    submitted = body.get("submitted_at")
    if submitted not in (None, "") and dates.timestamp(submitted) is None:
        raise ApiError(
            422,
            "is not a time in years 1 to 9999 (ISO 8601, RFC 2822 or epoch seconds)",
            field=prefix + "submitted_at",
        )
    if normalize.is_negative_count(body.get("company_size")):
        raise ApiError(422, "is a negative head count", field=prefix + "company_size")


def _normalized(given: str | None) -> str | None:
    if given is None:
        return None
    domain = canonical.domain(given)
    if domain is None:
        raise ApiError(422, "is not a domain or URL", field="client_domain")
    return domain


def _encode(position: leads.Cursor) -> str:
    text = f"{position[0].isoformat()}|{position[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


_NOT_OURS = "is not a cursor this API gave out"


def _decode(cursor: str) -> leads.Cursor:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, lead_id = text.rsplit("|", 1)
        at = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(422, _NOT_OURS, field="cursor") from None
    return at, params.whole(lead_id, field="cursor", lo=1, what=_NOT_OURS)
