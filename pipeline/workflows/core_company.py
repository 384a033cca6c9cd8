"""Manual and named-source company data: the core-company upserts (priority 0).

Three old paths: `db/core-company/upsert` and `manual/core-data/ingest` send
`{domain*, name, linkedin_url}`; `db/core-company-full/upsert` adds `company_name*` and
industry, place and size. A field left out keeps its value (it is simply not a fact).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from pipeline import normalize
from pipeline.workflows import Definition, Route
from pipeline.workflows import companies as c
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged, required_domain
from pipeline.workflows.facts import CompanyFacts, Facts
from schemas import canonical


class CoreCompanyUpsert(Slugged):
    """`POST /run/companies/db/core-company/upsert` and `/run/companies/manual/core-data/ingest`."""

    domain: str = Field(min_length=1, max_length=1000, examples=["example.com"])
    name: str | None = Field(default=None, max_length=500)
    linkedin_url: str | None = Field(default=None, max_length=1000)

    _domain = field_validator("domain")(required_domain)


class CoreCompanyFullUpsert(CoreCompanyUpsert):
    """`POST /run/companies/db/core-company-full/upsert`."""

    company_name: str = Field(min_length=1, max_length=500, examples=["Stripe"])
    industry: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=500)
    state: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=500)
    employee_range: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=200, description="Who found the data")


def _company(body: CoreCompanyUpsert, **fields: object) -> Facts:
    linkedin = v.company_linkedin_url(body.linkedin_url)
    values = v.compact({"name": v.text(body.name), "linkedin_url": linkedin, **fields})
    return Facts(
        companies=(
            CompanyFacts(
                domain=canonical.domain(body.domain),
                linkedin_url=linkedin,
                name=values.get("name"),
                fields=values,
            ),
        )
    )


def extract(body: CoreCompanyUpsert) -> Facts | None:
    return _company(body)


def extract_full(body: CoreCompanyFullUpsert) -> Facts | None:
    size = normalize.company_size_bucket(v.text(body.employee_range) or "")
    return _company(
        body.model_copy(update={"name": body.company_name}),
        industry=v.text(body.industry),
        city=v.text(body.city),
        state=v.text(body.state),
        country=v.text(body.country),
        country_code=c.country_code(body.country),
        size_range=size,
    )


def _domain_key(body: CoreCompanyUpsert) -> str | None:
    return canonical.domain(body.domain)


DEFINITION = Definition(
    name="core_company",
    routes=(
        Route(
            "/run/companies/db/core-company/upsert",
            "db-core-company-upsert",
            "Upsert a company's name and LinkedIn URL by domain (a named source)",
        ),
        Route(
            "/run/companies/manual/core-data/ingest",
            "manual-core-data",
            "Manually entered company data: name and LinkedIn URL by domain",
        ),
    ),
    request=CoreCompanyUpsert,
    entity="company",
    natural_key=_domain_key,
    extract=extract,
    feeds=("name", "linkedin_url"),
    priority=0,
    platform="manual",
)

FULL = Definition(
    name="core_company_full",
    routes=(
        Route(
            "/run/companies/db/core-company-full/upsert",
            "db-core-company-full-upsert",
            "Upsert a company's name, LinkedIn URL, industry, place and size by domain",
        ),
    ),
    request=CoreCompanyFullUpsert,
    entity="company",
    natural_key=_domain_key,
    extract=extract_full,
    feeds=("name", "linkedin_url", "industry", "city", "state", "country", "size_range"),
    priority=0,
    platform="manual",
)
