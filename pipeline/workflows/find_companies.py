"""Clay find-companies: a discovered company for one domain (lower priority than firmographics).

Its LinkedIn URL is a search match, not a lookup: one that conflicts with the URL already
known for the domain's company is kept raw and flagged (`linkedin_url_conflict`), not applied.
"""

from __future__ import annotations

from pipeline.workflows import Definition, Route
from pipeline.workflows import values as v
from pipeline.workflows.bodies import CompanyDomainPayload
from pipeline.workflows.facts import Facts
from pipeline.workflows.firmographics import linkedin_company_facts


class FindCompaniesIngest(CompanyDomainPayload):
    """`POST /run/companies/clay-native/find-companies/ingest`."""


def extract(body: FindCompaniesIngest) -> Facts | None:
    payload = body.raw_payload
    domain = v.domain(body.company_domain) or v.domain(payload.get("resolved_domain"))
    facts = linkedin_company_facts(domain, payload, trusted=False)
    revenue = v.text(payload.get("annual_revenue"))
    if revenue:
        facts = facts.model_copy(update={"fields": {**facts.fields, "revenue": revenue}})
    if not facts.fields and not facts.items:
        return None
    return Facts(companies=(facts,))


DEFINITION = Definition(
    name="find_companies",
    routes=(
        Route(
            "/run/companies/clay-native/find-companies/ingest",
            "clay-find-companies",
            "A company Clay's find-companies search returned, for one domain",
        ),
    ),
    request=FindCompaniesIngest,
    entity="company",
    natural_key=lambda body: v.domain(body.company_domain),
    extract=extract,
    feeds=("name", "linkedin_url", "industry", "size_range", "company_type", "revenue"),
    priority=3,
    provider="clay",
    platform="clay",
)
