"""The client-lead chain: store_lead (raw) → write_lead (leads, people, companies).

The gateway has already checked the body and the caller's scope; these actors keep the
body as received, then normalise it and write all three client tables in one transaction.
Each stage is micro-batched (`workers.batching.per_item`): the messages waiting together
share one transaction, each in a savepoint, every job's status in that commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from pipeline import leads as lead_rules
from pipeline.store import leads
from schemas.leads_api import LeadLinkBatch, TargetLeadLink, lead_request
from workers import names
from workers.batching import Job, per_item
from workers.declare import actor
from workers.stages import PERMANENT


@actor(names.STORE_LEAD, throws=PERMANENT, stage_seq=1)
def store_lead(job_id: str, body: dict[str, Any]) -> None:
    """Keep the lead exactly as received, then hand it to `write_lead`.

    `body` is the envelope the gateway sends: ``{"workflow_slug", "lead"}``, so the job is
    counted under its workflow in the registry.
    """
    received = body["lead"]
    request = lead_request(body.get("workflow_slug"), received)
    raw_id = KEEP_LEAD.submit(Job.current((job_id, request.normalized_client_domain(), received)))
    write_lead.send(job_id=job_id, raw_id=raw_id, workflow_slug=body.get("workflow_slug"))


@actor(names.WRITE_LEAD, throws=PERMANENT, stage_seq=2)
def write_lead(job_id: str, raw_id: int, workflow_slug: str | None = None) -> None:
    """Normalise the stored lead and write `client.leads`, `leads_people`, `leads_companies`.

    `workflow_slug` says which route's model reads the body (None: a client form lead)."""
    WRITE.submit(Job.current((job_id, raw_id, workflow_slug)))


def _write(conn: Connection, item: tuple[str, int, str | None]) -> tuple[None, dict[str, Any]]:
    job_id, raw_id, workflow_slug = item
    raw = leads.load_lead_payload(conn, raw_id=raw_id)
    cleaned = lead_request(workflow_slug, raw["raw_payload"]).lead_fields()
    lead = lead_rules.normalize_lead(cleaned)
    lead_id, created = leads.insert_lead(conn, job_id=job_id, raw_id=raw_id, lead=lead)
    if created:
        seen_at = lead.submitted_at or datetime.now(UTC)
        leads.upsert_lead_person(conn, lead=lead, seen_at=seen_at)
        leads.upsert_lead_company(conn, lead=lead, seen_at=seen_at)
    return None, {
        "lead_id": lead_id,
        "client_domain": lead.client_domain,
        "person_key": lead.person_key,
        "company_domain": lead.company_domain,
        "already_stored": not created,
    }


@actor(names.STORE_LEAD_LINK, throws=PERMANENT, stage_seq=1)
def store_lead_link(job_id: str, body: dict[str, Any]) -> None:
    """Keep a link request exactly as received (beside the leads, under its client), then
    hand it to `link_leads`.

    `body` is the gateway's envelope: ``{"workflow_slug", "batch", "request"}``; `batch`
    says which route's model reads `request`.
    """
    received = body["request"]
    request = _link_request(received, batch=body["batch"])
    raw_id = KEEP_LINK.submit(Job.current((job_id, request.normalized_client_domain(), received)))
    link_leads.send(job_id=job_id, raw_id=raw_id, batch=body["batch"])


@actor(names.LINK_LEADS, throws=PERMANENT, stage_seq=2)
def link_leads(job_id: str, raw_id: int, batch: bool) -> None:
    """Link each lead of the stored request to the golden person and company, in one
    transaction; the result counts the leads linked (a golden person or company found)
    and unlinked (kept by key: a later read or link finds what is created meanwhile)."""
    LINK.submit(Job.current((job_id, raw_id, batch)))


def _link(conn: Connection, item: tuple[str, int, bool]) -> tuple[None, dict[str, Any]]:
    job_id, raw_id, batch = item
    raw = leads.load_lead_payload(conn, raw_id=raw_id)
    request = _link_request(raw["raw_payload"], batch=batch)
    bodies = (
        request.lead_bodies() if isinstance(request, LeadLinkBatch) else [request.lead_fields()]
    )
    keys = [lead_rules.link_keys(body) for body in bodies]
    items = leads.link_leads(conn, job_id=job_id, keys=keys)
    linked = sum(1 for i in items if i["person_id"] or i["company_id"])
    return None, {
        "client_domain": request.normalized_client_domain(),
        "linked": linked,
        "unlinked": len(items) - linked,
        "changed": sum(1 for i in items if i["changed"]),
        "leads": items,
    }


def _keep(conn: Connection, item: tuple[str, str, Any]) -> tuple[int, None]:
    """Store a body as received under its client (`raw.client_lead_payloads`); the job is
    handed on."""
    job_id, client_domain, received = item
    raw_id = leads.insert_lead_payload(
        conn, job_id=job_id, client_domain=client_domain, raw_payload=received
    )
    return raw_id, None


def _link_request(received: Any, *, batch: bool) -> LeadLinkBatch | TargetLeadLink:
    if batch:
        return LeadLinkBatch.model_validate(received)
    return TargetLeadLink.model_validate(received)


#: The stages' batchers: each item in a savepoint of its batch's one transaction.
KEEP_LEAD = per_item(names.STORE_LEAD.actor_name, _keep)
KEEP_LINK = per_item(names.STORE_LEAD_LINK.actor_name, _keep)
WRITE = per_item(names.WRITE_LEAD.actor_name, _write)
LINK = per_item(names.LINK_LEADS.actor_name, _link)
