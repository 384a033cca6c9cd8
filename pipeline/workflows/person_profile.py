"""Person profiles (Clay, Proxycurl, People Data Labs shapes) on their own chain.

The chain (`workers.stages`: store_raw → extract_profile → sync_core) predates the generic
one and its stage names are part of the job contract, so the definition names it; the
route, listing and registry entry come from the mechanism like every other workflow's.
"""

from __future__ import annotations

from typing import Any

from pipeline.workflows import Chain, Definition, Route
from schemas import canonical
from schemas.webhooks import DEFAULT_PERSON_WORKFLOW, PersonProfileIngest


def _message(body: PersonProfileIngest, received: Any) -> dict[str, Any]:
    message = body.message_body()
    if isinstance(received, dict) and "raw_payload" in received:
        # The payload as parsed from the body, numbers exactly as sent (`exact_json`).
        message["raw_payload"] = received["raw_payload"]
    return message


DEFINITION = Definition(
    name="person_profile",
    routes=(
        Route(
            "/run/people/clay-native/person-profile/ingest",
            DEFAULT_PERSON_WORKFLOW,
            "Ingest one person profile (Clay, Proxycurl or People Data Labs shape)",
        ),
    ),
    request=PersonProfileIngest,
    entity="person",
    natural_key=lambda body: canonical.linkedin_url(body.linkedin_url),
    extract=None,
    feeds=("person", "work_history", "education", "tenure", "past_employers", "job_title"),
    priority=1,
    platform="clay",
    chain=Chain(first_stage="store_raw", kind="person_profile", message=_message),
    open_slugs=True,
)
