"""LeadMagic through Clay: a person's e-mail finder result.

Response shape read (LeadMagic API reference, email-finder): `{"email", "status": "valid" |
"valid_catch_all" | "catch_all" | "unknown" | "invalid" | "not_found", "message",
"mx_record", "mx_provider", "mx_records_full": [{"exchange", "priority"}], "has_mx",
"is_domain_catch_all", "mx_security_gateway", "employment_verified", "credits_consumed"}`.
`valid_catch_all` is an address LeadMagic verified on a catch-all domain: valid, with
`catch_all` set; a plain `catch_all` is not verified.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.workflows import Route
from pipeline.workflows import emails as e
from pipeline.workflows import values as v
from pipeline.workflows.people_facts import EmailFact, EmailStatus

PROVIDER = "leadmagic"

_STATUS: dict[str, EmailStatus] = {
    "valid": "valid",
    "valid_catch_all": "valid",
    "catch_all": "catch_all",
    "accept_all": "catch_all",
    "risky": "risky",
    "unknown": "unknown",
    "invalid": "invalid",
}


class LeadMagicIngest(e.EmailFinderBody):
    """`POST /run/people/clay-leadmagic/get-email/ingest`."""

    payload_field = "leadmagic_raw_payload"
    raw_fields = frozenset({"leadmagic_raw_payload"})

    leadmagic_raw_payload: dict[str, Any] = Field(
        min_length=1, description="LeadMagic's e-mail finder response as Clay forwards it"
    )
    _payload = e.payload_validator("leadmagic_raw_payload")


def read(payload: dict[str, Any]) -> list[EmailFact]:
    word = v.text(payload.get("status") or payload.get("email_status"))
    if (word or "").lower() in ("not_found", "no_result", "none"):
        return []
    exchanges = [
        x.get("exchange") for x in payload.get("mx_records_full") or [] if isinstance(x, dict)
    ]
    catch_all = payload.get("is_domain_catch_all")
    if catch_all is None and word and "catch_all" in word.lower():
        catch_all = True
    fact = e.fact(
        payload.get("email"),
        provider=PROVIDER,
        status=e.status_of(word, _STATUS, "unknown"),
        raw_status=word,
        catch_all=catch_all,
        mx_provider=payload.get("mx_provider"),
        mx_records=[*exchanges, payload.get("mx_record")],
        details={
            "has_mx": v.flag(payload.get("has_mx")),
            "mx_security_gateway": v.flag(payload.get("mx_security_gateway")),
            "employment_verified": v.flag(payload.get("employment_verified")),
        },
    )
    return e.found(fact)


DEFINITION = e.definition(
    name="leadmagic_email",
    route=Route(
        "/run/people/clay-leadmagic/get-email/ingest",
        "clay-leadmagic-get-email",
        "LeadMagic e-mail finder result for one person (through Clay)",
    ),
    request=LeadMagicIngest,
    read=read,
    provider=PROVIDER,
)
