"""A company page scraped from Sales Navigator; every field optional, `"null"`/`""` absent.

Keyed on its LinkedIn URL (or the numeric id in a Sales Navigator URL or URN), else domain.
"""

from __future__ import annotations

import re

from pydantic import Field

from pipeline import identity
from pipeline.workflows import Definition, Route
from pipeline.workflows import companies as c
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged
from pipeline.workflows.facts import CompanyFacts, Facts

#: The numeric company id in `…/sales/company/1234`, `urn:li:organization:1234`,
#: `urn:li:fs_salesCompany:1234` or `…/company/1234/`.
_NUMERIC_ID = re.compile(r"(?:company[/:]|organization:|salesCompany:)([0-9]{1,20})\b", re.I)


class SalesNavCompanyIngest(Slugged):
    """`POST /run/companies/salesnav/scraped-data/ingest`."""

    company_name: str | None = Field(default=None, max_length=500)
    linkedin_url: str | None = Field(default=None, max_length=2000)
    linkedin_urn: str | None = Field(default=None, max_length=500)
    domain: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=50_000)
    headcount: str | None = Field(default=None, max_length=100, examples=["1,234"])
    industries: str | list[str] | None = Field(default=None)
    registered_address_raw: str | None = Field(default=None, max_length=2000)


def _org_id(body: SalesNavCompanyIngest) -> str | None:
    for value in (body.linkedin_urn, body.linkedin_url):
        if value and (match := _NUMERIC_ID.search(value)):
            return identity.org_id(match.group(1))
    return None


def extract(body: SalesNavCompanyIngest) -> Facts | None:
    linkedin = v.company_linkedin_url(body.linkedin_url)
    if linkedin and linkedin.rsplit("/", 1)[-1].isdigit():
        linkedin = None  # a numeric page address is the org id, not the company's URL
    address = v.text(body.registered_address_raw)
    headcount = v.count(body.headcount)
    fields = v.compact(
        {
            "name": v.text(body.company_name),
            "linkedin_url": linkedin,
            "linkedin_org_id": _org_id(body),
            "description": v.text(body.description),
            "headquarters": address,
            **c.place(address),
            **c.size_fields(None, headcount),
        }
    )
    company = CompanyFacts(
        domain=v.domain(body.domain),
        linkedin_url=linkedin,
        org_id=fields.get("linkedin_org_id"),
        name=fields.get("name"),
        fields=fields,
        items=tuple(c.simple_items("industry", body.industries, split_commas=False)),
    )
    return Facts(companies=(company,)) if company.identified else None


def natural_key(body: SalesNavCompanyIngest) -> str | None:
    linkedin = v.company_linkedin_url(body.linkedin_url)
    org = _org_id(body)
    return linkedin or (f"org:{org}" if org else None) or v.domain(body.domain)


DEFINITION = Definition(
    name="salesnav_company",
    routes=(
        Route(
            "/run/companies/salesnav/scraped-data/ingest",
            "salesnav-company-scrape",
            "A company page scraped from Sales Navigator",
        ),
    ),
    request=SalesNavCompanyIngest,
    entity="company",
    natural_key=natural_key,
    extract=extract,
    feeds=("name", "linkedin_url", "linkedin_org_id", "description", "headquarters", "size"),
    priority=4,
    provider="salesnav",
    platform="salesnav",
)
