"""Clay firmographics: a LinkedIn company object for one domain."""

from __future__ import annotations

from typing import Any

from pipeline import identity
from pipeline.workflows import Definition, Route
from pipeline.workflows import companies as c
from pipeline.workflows import values as v
from pipeline.workflows.bodies import CompanyDomainPayload
from pipeline.workflows.facts import CompanyFacts, Facts, Item


class FirmographicsIngest(CompanyDomainPayload):
    """`POST /run/companies/clay-native/firmographics/ingest`."""


def linkedin_company_facts(
    domain: str | None, payload: dict[str, Any], *, trusted: bool = True
) -> CompanyFacts:
    """Facts from a LinkedIn company object (Clay's enrich-company, Proxycurl's company)."""
    locations = [loc for loc in payload.get("locations") or [] if isinstance(loc, dict)]
    primary = next((loc for loc in locations if v.flag(loc.get("is_primary"))), None)
    primary = primary or (locations[0] if locations else {})
    locality = v.text(payload.get("locality") or payload.get("location"))
    country_name = v.text(payload.get("country"))
    place = {
        **c.place(locality),
        **v.compact(
            {
                "city": v.text(primary.get("city")),
                "state": v.text(primary.get("geographic_area") or primary.get("state")),
                "country_code": c.country_code(primary.get("country"))
                or c.country_code(country_name),
            }
        ),
    }
    if country_name and len(country_name) > 2:
        place["country"] = country_name
    items: list[Item] = [
        *c.simple_items("specialty", payload.get("specialties")),
        *c.simple_items("industry", payload.get("industries")),
        *filter(None, (c.location_item(loc) for loc in locations)),
    ]
    fields = v.compact(
        {
            "name": v.text(payload.get("name")),
            "linkedin_url": c.linkedin_from(payload),
            "linkedin_org_id": identity.org_id(
                payload.get("org_id") or payload.get("linkedin_company_id")
            ),
            "website": v.text(payload.get("website")),
            "industry": v.text(payload.get("industry")),
            "company_type": v.text(payload.get("type")),
            "follower_count": v.count(payload.get("follower_count")),
            "founded_year": v.year(payload.get("founded") or payload.get("founded_year")),
            "description": v.text(payload.get("description")),
            "headquarters": locality,
            **c.size_fields(payload.get("size"), payload.get("employee_count")),
            **place,
        }
    )
    return CompanyFacts(
        domain=v.domain(domain) or v.domain(payload.get("website")),
        linkedin_url=fields.get("linkedin_url"),
        org_id=fields.get("linkedin_org_id"),
        name=fields.get("name"),
        fields=fields,
        items=tuple(items),
        linkedin_trusted=trusted,
    )


def extract(body: FirmographicsIngest) -> Facts | None:
    facts = linkedin_company_facts(body.company_domain, body.raw_payload)
    if not facts.fields and not facts.items:
        return None
    return Facts(observed_at=v.timestamp(body.raw_payload.get("last_refresh")), companies=(facts,))


DEFINITION = Definition(
    name="firmographics",
    routes=(
        Route(
            "/run/companies/clay-native/firmographics/ingest",
            "clay-company-firmographics",
            "Clay firmographics (a LinkedIn company object) for one company domain",
        ),
    ),
    request=FirmographicsIngest,
    entity="company",
    natural_key=lambda body: v.domain(body.company_domain),
    extract=extract,
    feeds=(
        "name",
        "linkedin_url",
        "linkedin_org_id",
        "industry",
        "size_range",
        "employee_count",
        "founded_year",
        "company_type",
        "headquarters",
        "description",
        "specialties",
        "locations",
    ),
    priority=1,
    provider="clay",
    platform="clay",
)
