"""Client form leads, scoped by client_domain, on their own chain (store_lead → write_lead).

`TARGET` is the same chain for the target-client route, whose body names its client
`target_client_domain` (`schemas.leads_api.TargetLeadIngest`); its jobs count under
`target-client-lead`, and `write_lead` reads the stored body with that route's model.
"""

from __future__ import annotations

from typing import Any

from pipeline.workflows import Chain, Definition, Route
from schemas import canonical
from schemas.leads_api import LEAD_WORKFLOW, TARGET_LEAD_WORKFLOW, LeadIngest, TargetLeadIngest


def _message(_body: LeadIngest, received: Any) -> dict[str, Any]:
    # Kept exactly as sent, untrimmed: the body as parsed, not the validated model.
    return {"workflow_slug": LEAD_WORKFLOW, "lead": received}


def _target_message(_body: LeadIngest, received: Any) -> dict[str, Any]:
    return {"workflow_slug": TARGET_LEAD_WORKFLOW, "lead": received}


def _client_key(body: LeadIngest) -> str | None:
    return canonical.domain(body.client_domain)


DEFINITION = Definition(
    name="client_lead",
    routes=(Route("/run/client/leads/ingest", LEAD_WORKFLOW, "Ingest one client form lead"),),
    request=LeadIngest,
    entity="lead",
    natural_key=_client_key,
    extract=None,
    feeds=("client.leads", "client.leads_people", "client.leads_companies"),
    priority=0,
    platform="webhook",
    chain=Chain(first_stage="store_lead", kind="client_lead", message=_message),
    open_slugs=True,
    client_of=lambda body: body.normalized_client_domain(),
)

TARGET = Definition(
    name="target_client_lead",
    routes=(
        Route(
            "/run/target-client/leads/ingest",
            TARGET_LEAD_WORKFLOW,
            "Ingest one lead for a target client (target_client_domain)",
        ),
    ),
    request=TargetLeadIngest,
    entity="lead",
    natural_key=_client_key,
    extract=None,
    feeds=("client.leads", "client.leads_people", "client.leads_companies"),
    priority=0,
    platform="webhook",
    description="A client lead whose body names its client target_client_domain",
    chain=Chain(first_stage="store_lead", kind="client_lead", message=_target_message),
    open_slugs=True,
    client_of=lambda body: body.normalized_client_domain(),
)
