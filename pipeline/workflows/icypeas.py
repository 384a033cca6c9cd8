"""Icypeas through Clay: a person's e-mail search result.

Response shapes read (Icypeas API docs, "Email certainty" and search results): the result
`{"status": "FOUND" | "NOT_FOUND" | "DEBITED_NOT_FOUND", "emails": [{"email", "certainty",
"mxRecords", "mxProvider"}]}`, also wrapped as `{"results": {...}}` or in `{"items": [...]}`
(a read of a search). Certainty `ultra_sure`/`very_sure`/`sure` is valid, `probable` risky,
`undeliverable` invalid, `not_found` nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.workflows import Route
from pipeline.workflows import emails as e
from pipeline.workflows import values as v
from pipeline.workflows.people_facts import EmailFact, EmailStatus

PROVIDER = "icypeas"

_CERTAINTY: dict[str, EmailStatus] = {
    "ultra_sure": "valid",
    "very_sure": "valid",
    "sure": "valid",
    "probable": "risky",
    "risky": "risky",
    "undeliverable": "invalid",
}


class IcypeasIngest(e.EmailFinderBody):
    """`POST /run/people/clay-icypeas/get-email/ingest`."""

    payload_field = "icypeas_raw_payload"
    raw_fields = frozenset({"icypeas_raw_payload"})

    icypeas_raw_payload: dict[str, Any] = Field(
        min_length=1, description="Icypeas's search result as Clay forwards it"
    )
    _payload = e.payload_validator("icypeas_raw_payload")


def _unwrapped(payload: dict[str, Any]) -> dict[str, Any]:
    items = payload.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        payload = items[0]
    results = v.obj(payload.get("results"))
    return {**payload, **results} if results else payload


def read(payload: dict[str, Any]) -> list[EmailFact]:
    result = _unwrapped(payload)
    if "not_found" in (v.text(result.get("status")) or "").lower():
        return []
    entries = [x for x in result.get("emails") or [] if isinstance(x, dict)]
    if not entries and result.get("email"):
        entries = [{"email": result.get("email"), "certainty": result.get("certainty")}]
    found: list[EmailFact] = []
    for entry in entries:
        certainty = entry.get("certainty") or result.get("certainty")
        if (v.text(certainty) or "").lower() == "not_found":
            continue
        fact = e.fact(
            entry.get("email"),
            provider=PROVIDER,
            status=e.status_of(certainty, _CERTAINTY, "unknown"),
            raw_status=certainty,
            certainty=certainty,
            mx_provider=entry.get("mxProvider") or result.get("mxProvider"),
            mx_records=entry.get("mxRecords") or result.get("mxRecords"),
            details={"search_id": v.text(result.get("searchId") or result.get("_id"))},
        )
        if fact is not None:
            found.append(fact)
    return found


DEFINITION = e.definition(
    name="icypeas_email",
    route=Route(
        "/run/people/clay-icypeas/get-email/ingest",
        "clay-icypeas-get-email",
        "Icypeas e-mail search result for one person (through Clay)",
    ),
    request=IcypeasIngest,
    read=read,
    provider=PROVIDER,
)
