"""AnyMailFinder through Clay: a person's e-mail search result.

Response shapes read (AnyMailFinder API docs): v5 `{"email", "email_status": "valid" |
"risky" | "not_found" | "blacklisted", "valid_email"}`; v4 (the sample) `{"success",
"results": {"email", "validation": "valid" | "unknown", "alternatives": [...]}, "input"}`;
older clients' `{"email", "email_class": "verified", "alternatives"}`. Alternatives are kept
with the result (details), not as e-mails of their own: the provider did not check them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.workflows import Route
from pipeline.workflows import emails as e
from pipeline.workflows import people as p
from pipeline.workflows import values as v
from pipeline.workflows.people_facts import EmailFact, EmailStatus

PROVIDER = "anymailfinder"

_STATUS: dict[str, EmailStatus] = {
    "valid": "valid",
    "verified": "valid",
    "risky": "risky",
    "accept_all": "catch_all",
    "catch_all": "catch_all",
    "unknown": "unknown",
    "blacklisted": "invalid",
    "invalid": "invalid",
}
_NOT_FOUND = {"not_found", "notfound", "none"}


class AnymailFinderIngest(e.EmailFinderBody):
    """`POST /run/people/clay-anymail/get-email/ingest`."""

    payload_field = "anymailfinder_raw_payload"
    raw_fields = frozenset({"anymailfinder_raw_payload"})

    anymailfinder_raw_payload: dict[str, Any] = Field(
        min_length=1, description="AnyMailFinder's response as Clay forwards it"
    )
    _payload = e.payload_validator("anymailfinder_raw_payload")


def read(payload: dict[str, Any]) -> list[EmailFact]:
    results = v.obj(payload.get("results")) or payload
    word = p.first(results, "email_status", "validation", "email_class") or p.first(
        payload, "email_status", "validation", "email_class"
    )
    if (v.text(word) or "").lower() in _NOT_FOUND:
        return []
    email = p.first(results, "email", "valid_email") or payload.get("valid_email")
    alternatives = v.texts(results.get("alternatives") or payload.get("alternatives"))
    found = e.fact(
        email,
        provider=PROVIDER,
        status=e.status_of(word, _STATUS, "unknown"),
        raw_status=word,
        details={"alternatives": alternatives},
    )
    return e.found(found)


DEFINITION = e.definition(
    name="anymailfinder_email",
    route=Route(
        "/run/people/clay-anymail/get-email/ingest",
        "clay-anymail-get-email",
        "AnyMailFinder e-mail search result for one person (through Clay)",
    ),
    request=AnymailFinderIngest,
    read=read,
    provider=PROVIDER,
)
