"""The small company updates, each wired to what its name says (the old service had the
first two wired to each other's function): a company's LinkedIn page, a VC's domain, and
the public-company check."""

from __future__ import annotations

from pydantic import Field, field_validator

from pipeline import identity
from pipeline.workflows import Definition, Route
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged, required_domain
from pipeline.workflows.facts import CompanyFacts, Facts
from schemas import canonical


class CompanyLinkedinUpdate(Slugged):
    """`POST /run/companies/db/company-linkedin/update`."""

    domain: str = Field(min_length=1, max_length=1000, examples=["example.com"])
    company_linkedin_url: str | None = Field(default=None, max_length=1000)
    short_description: str | None = Field(default=None, max_length=20_000)

    _domain = field_validator("domain")(required_domain)


class VcDomainUpdate(Slugged):
    """`POST /run/companies/db/vc-domain/update`: a venture investor's domain."""

    vc_name: str = Field(min_length=1, max_length=500, examples=["Alkeon Capital"])
    domain: str = Field(min_length=1, max_length=1000, examples=["alkeon.com"])

    _domain = field_validator("domain")(required_domain)


class PublicCompanyCheck(Slugged):
    """`POST /run/companies/manual/public-company-check/ingest`."""

    domain: str = Field(min_length=1, max_length=1000, examples=["example.com"])
    company_name: str | None = Field(default=None, max_length=500)
    linkedin_url: str | None = Field(default=None, max_length=1000)
    is_public: bool = Field(default=True, description="The check's answer (public unless said)")

    _domain = field_validator("domain")(required_domain)


def _facts(domain: str, name: str | None, linkedin: str | None, **fields: object) -> Facts:
    values = v.compact({"name": name, "linkedin_url": linkedin, **fields})
    company = CompanyFacts(
        domain=canonical.domain(domain), linkedin_url=linkedin, name=name, fields=values
    )
    return Facts(companies=(company,))


def extract_linkedin(body: CompanyLinkedinUpdate) -> Facts | None:
    linkedin = v.company_linkedin_url(body.company_linkedin_url)
    description = v.text(body.short_description)
    if linkedin is None and description is None:
        return None
    return _facts(body.domain, None, linkedin, description=description)


def extract_vc(body: VcDomainUpdate) -> Facts | None:
    return _facts(body.domain, v.text(body.vc_name), None, is_investor=True)


def extract_public(body: PublicCompanyCheck) -> Facts | None:
    return _facts(
        body.domain,
        v.text(body.company_name),
        v.company_linkedin_url(body.linkedin_url),
        is_public=body.is_public,
    )


COMPANY_LINKEDIN = Definition(
    name="company_linkedin",
    routes=(
        Route(
            "/run/companies/db/company-linkedin/update",
            "db-company-linkedin-update",
            "Set a company's LinkedIn page (and short description) by domain",
        ),
    ),
    request=CompanyLinkedinUpdate,
    entity="company",
    natural_key=lambda body: canonical.domain(body.domain),
    extract=extract_linkedin,
    feeds=("linkedin_url", "description"),
    priority=0,
    platform="manual",
)

VC_DOMAIN = Definition(
    name="vc_domain",
    routes=(
        Route(
            "/run/companies/db/vc-domain/update",
            "db-vc-domain-update",
            "Set a venture investor's domain by its name",
        ),
    ),
    request=VcDomainUpdate,
    entity="company",
    natural_key=lambda body: identity.name_key(body.vc_name),
    extract=extract_vc,
    feeds=("name", "is_investor"),
    priority=0,
    platform="manual",
)

PUBLIC_COMPANY = Definition(
    name="public_company_check",
    routes=(
        Route(
            "/run/companies/manual/public-company-check/ingest",
            "manual-public-company-check",
            "Mark a company public (name and LinkedIn page optional) by domain",
        ),
    ),
    request=PublicCompanyCheck,
    entity="company",
    natural_key=lambda body: canonical.domain(body.domain),
    extract=extract_public,
    feeds=("is_public", "name", "linkedin_url"),
    priority=0,
    platform="manual",
)
