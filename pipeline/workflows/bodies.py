"""Request-body pieces the company workflows share (all subclass `Inbound`: Clay linting)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from schemas import canonical
from schemas.webhooks import Inbound

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


def required_domain(value: str) -> str:
    """A body's company domain: any spelling (scheme, `www.`, case, path) of one."""
    if canonical.domain(value) is None:
        raise ValueError("is not a domain or URL")
    return value


class Slugged(Inbound):
    """A body that may name the workflow slug it comes from (a Clay table's own)."""

    workflow_slug: str | None = Field(
        default=None,
        max_length=200,
        pattern=SLUG_PATTERN,
        description="The registered workflow slug; the route's default slug when left out",
    )


class RawPayload(Slugged):
    """A body carrying a provider's object as `raw_payload` (stored and read as received)."""

    raw_payload: dict[str, Any] = Field(
        min_length=1, description="The provider's object as Clay forwards it"
    )

    @field_validator("raw_payload")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("is empty")
        return value


class CompanyDomainPayload(RawPayload):
    """`company_domain`* + `workflow_slug` + `raw_payload`*: the Clay-native company bodies."""

    company_domain: str = Field(
        min_length=1,
        max_length=1000,
        description="The company's domain, any spelling",
        examples=["example.com"],
    )
    clay_table_url: str | None = Field(default=None, max_length=2000)

    _domain = field_validator("company_domain")(required_domain)
