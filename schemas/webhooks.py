"""Inbound request bodies, validated at the gateway and again by the first stage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import normalize

#: The slug Clay's person-profile webhook uses unless a table says otherwise.
DEFAULT_PERSON_WORKFLOW = "clay-person-profile"


class Inbound(BaseModel):
    """Base for request bodies: strings trimmed, unknown fields kept (Clay adds columns)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class PersonProfileIngest(Inbound):
    """`POST /run/people/clay-native/person-profile/ingest`."""

    linkedin_url: str | None = Field(
        default=None,
        description="The person's LinkedIn profile URL, any spelling; else the payload's own",
        examples=["https://www.linkedin.com/in/marisol-quennell-4b2e/"],
    )
    workflow_slug: str = Field(
        default=DEFAULT_PERSON_WORKFLOW,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Which enrichment produced the payload; unknown slugs are registered",
    )
    raw_payload: dict[str, Any] = Field(
        description="The provider's person object as Clay forwards it (Clay, Proxycurl, PDL)"
    )

    @field_validator("linkedin_url")
    @classmethod
    def _linkedin_profile(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if normalize.linkedin_url(value) is None:
            raise ValueError("is not a LinkedIn profile URL (expected linkedin.com/in/<slug>)")
        return value

    @field_validator("raw_payload")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("is empty")
        return value
