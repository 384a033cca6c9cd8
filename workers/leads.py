"""The client-lead chain: store_lead (raw) → write_lead (leads, people, companies).

The gateway has already checked the body and the caller's scope; these actors keep the
body as received, then normalise it and write all three client tables in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dramatiq

from pipeline import leads as lead_rules
from pipeline.store import leads
from schemas.leads_api import lead_request
from workers.broker import get_engine
from workers.middleware import current_run
from workers.stages import PERMANENT


@dramatiq.actor(queue_name="store_lead", throws=PERMANENT, job_kind="client_lead", stage_seq=1)
def store_lead(job_id: str, body: dict[str, Any]) -> None:
    """Keep the lead exactly as received, then hand it to `write_lead`.

    `body` is the envelope the gateway sends: ``{"workflow_slug", "lead"}``, so the job is
    counted under its workflow in the registry.
    """
    run = current_run()
    received = body["lead"]
    request = lead_request(body.get("workflow_slug"), received)
    with get_engine().begin() as conn:
        raw_id = leads.insert_lead_payload(
            conn,
            job_id=job_id,
            client_domain=request.normalized_client_domain(),
            raw_payload=received,
        )
        run.handed_on(conn)
    write_lead.send(job_id=job_id, raw_id=raw_id, workflow_slug=body.get("workflow_slug"))


@dramatiq.actor(queue_name="write_lead", throws=PERMANENT, job_kind="client_lead", stage_seq=2)
def write_lead(job_id: str, raw_id: int, workflow_slug: str | None = None) -> None:
    """Normalise the stored lead and write `client.leads`, `leads_people`, `leads_companies`.

    `workflow_slug` says which route's model reads the body (None: a client form lead)."""
    run = current_run()
    with get_engine().begin() as conn:
        raw = leads.load_lead_payload(conn, raw_id=raw_id)
        cleaned = lead_request(workflow_slug, raw["raw_payload"]).lead_fields()
        lead = lead_rules.normalize_lead(cleaned)
        lead_id, created = leads.insert_lead(conn, job_id=job_id, raw_id=raw_id, lead=lead)
        if created:
            seen_at = lead.submitted_at or datetime.now(UTC)
            leads.upsert_lead_person(conn, lead=lead, seen_at=seen_at)
            leads.upsert_lead_company(conn, lead=lead, seen_at=seen_at)
        result = {
            "lead_id": lead_id,
            "client_domain": lead.client_domain,
            "person_key": lead.person_key,
            "company_domain": lead.company_domain,
            "already_stored": not created,
        }
        run.completed(conn, result)
