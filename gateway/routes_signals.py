"""`GET /api/signals`: a client's job changes, promotions, new hires and job postings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from gateway.deps import ClientDep, ConnectionDep
from gateway.routes import ClientDomainQuery
from pipeline.store import signals
from schemas import canonical
from schemas.api import SignalList
from schemas.canonical import IsoDateTime

router = APIRouter(tags=["read"])


@router.get("/api/signals", response_model=SignalList)
def list_signals(
    conn: ConnectionDep,
    principal: ClientDep,
    client_domain: ClientDomainQuery = None,
    kind: Annotated[
        Literal["job_change", "promotion", "new_hire", "job_posting"] | None, Query()
    ] = None,
    since: Annotated[IsoDateTime | None, Query(description="Recorded at or after (ISO)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Signals newest first. A client-scoped key sees only its own client's; an admin key
    sees the client it names, or every client's when it names none."""
    domain: str | None
    if principal.is_admin and client_domain is None:
        domain = None
    else:
        spelled = canonical.domain(client_domain) if client_domain else None
        domain = principal.client_scope(spelled or client_domain)
    found = signals.listing(conn, client_domain=domain, kind=kind, since=since, limit=limit)
    return {"client_domain": domain, "signals": found}
