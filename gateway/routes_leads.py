"""Client lead routes: ingest and read, scoped by client_domain.

These are the routes a key scoped to one client_domain may use (`ClientDep`): it may send
and read only that client's leads, any other client_domain answers 403. Admin keys may act
for every client.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from base import canonical
from gateway import params
from gateway.deps import ClientDep, ConnectionDep
from gateway.errors import ApiError, error_answer
from pipeline.store import leads
from schemas.leads_api import LeadsPage

router = APIRouter(tags=["leads"])

_SCOPED: dict[int | str, dict[str, Any]] = {
    403: error_answer("The key is scoped to another client_domain")
}


@router.get("/api/leads", response_model=LeadsPage, responses=_SCOPED)
def list_leads(
    conn: ConnectionDep,
    principal: ClientDep,
    client_domain: Annotated[
        str | None,
        Query(description="Any spelling; a scoped key may leave it out to read its own client"),
    ] = None,
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
    return {
        "client_domain": domain,
        "leads": page,
        "people": leads.lead_people(conn, client_domain=domain, person_keys=person_keys),
        "companies": leads.lead_companies(conn, client_domain=domain, domains=domains),
        "counts": leads.lead_counts(conn, client_domain=domain),
        "next_cursor": _encode(after) if after else None,
    }


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
