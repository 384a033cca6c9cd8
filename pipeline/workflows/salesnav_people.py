"""A person from Sales Navigator: the scraper's row (29 optional fields) or a Clay SalesNav
export row (human-readable keys: "First name", "Company website", "Job started on" as
`MM-YYYY`, "LinkedIn URL (user profile)", "LinkedIn user profile URN", …).

Sales Navigator knows people by member id (`ACwAA…`, in the URN and in `/in/ACwAA…` URLs),
not by their public URL: such a person is its own identity (`salesnav:<id>`) until a body
names both, and then the two merge (`pipeline.store.persons.resolve`). Facts: names,
headline, location, the current job and its start, past employers.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from pipeline.workflows import Definition, Facts, Route
from pipeline.workflows import people as p
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged

#: A Clay SalesNav export's column → the scraper's field of the same meaning.
EXPORT_COLUMNS = {
    "First name": "first_name",
    "Last name": "last_name",
    "Full name": "full_name",
    "Profile headline": "headline",
    "Profile summary": "summary",
    "Location": "location",
    "LinkedIn URL (user profile)": "linkedin_url",
    "LinkedIn user profile URN": "linkedin_urn",
    "Job title": "current_title",
    "Company": "company_name",
    "Company website": "company_website",
    "LinkedIn URL (company)": "company_linkedin_url",
    "Linkedin company profile URN": "company_urn",
    "Job started on": "job_started_on",
    "Email": "email",
    "Phone number": "phone",
    "Company industries": "industry",
    "_export_timestamp": "scraped_at",
}
_LIST_SEPARATORS = re.compile(r"\s*(?:;|\|| / |\n)\s*")


class SalesNavPersonIngest(Slugged):
    """`POST /run/people/salesnav/scraped-data/ingest`: every field optional."""

    first_name: str | None = Field(default=None, max_length=1000)
    last_name: str | None = Field(default=None, max_length=1000)
    full_name: str | None = Field(default=None, max_length=1000)
    headline: str | None = Field(default=None, max_length=5000)
    summary: str | None = Field(default=None, max_length=50_000)
    location: str | None = Field(default=None, max_length=1000)
    linkedin_url: str | None = Field(default=None, max_length=2000)
    linkedin_urn: str | None = Field(default=None, max_length=1000)
    salesnav_url: str | None = Field(default=None, max_length=2000)
    profile_picture_url: str | None = Field(default=None, max_length=5000)
    current_title: str | None = Field(default=None, max_length=2000)
    company_name: str | None = Field(default=None, max_length=1000)
    company_linkedin_url: str | None = Field(default=None, max_length=2000)
    company_urn: str | None = Field(default=None, max_length=1000)
    company_domain: str | None = Field(default=None, max_length=1000)
    company_website: str | None = Field(default=None, max_length=2000)
    job_started_on: str | None = Field(default=None, max_length=100, examples=["08-2024"])
    time_in_role: str | None = Field(default=None, max_length=200)
    time_in_company: str | None = Field(default=None, max_length=200)
    past_companies: str | list[Any] | None = Field(default=None)
    industry: str | None = Field(default=None, max_length=1000)
    connections: str | None = Field(default=None, max_length=100)
    is_premium: str | None = Field(default=None, max_length=20)
    is_open_link: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=1000)
    phone: str | None = Field(default=None, max_length=200)
    search_url: str | None = Field(default=None, max_length=5000)
    scraped_at: str | None = Field(default=None, max_length=100)
    clay_table_url: str | None = Field(default=None, max_length=2000)


def row(body: SalesNavPersonIngest) -> dict[str, Any]:
    """The body as the scraper's fields: an export row's columns renamed, blanks dropped."""
    found = {k: val for k, val in body.model_dump().items() if not v.absent(val)}
    for column, value in (body.model_extra or {}).items():
        field = EXPORT_COLUMNS.get(column)
        if field and field not in found and not v.absent(value):
            found[field] = value
    return found


def identity(fields: dict[str, Any]) -> tuple[str | None, str | None]:
    """The person's public URL (if the row has one) and member id."""
    url = p.profile_url(fields.get("linkedin_url"))
    member = (
        p.member_id(fields.get("linkedin_urn"))
        or p.member_id(fields.get("salesnav_url"))
        or p.member_id(fields.get("linkedin_url"))
    )
    return url, member


def _past(value: object) -> list[dict[str, Any]]:
    """Past employers: objects ({"company_name", "company_domain"…}), a JSON list of names,
    or one text with `;`/`|`/newlines between names (never split on commas)."""
    if isinstance(value, str):
        return [{"company_name": name} for name in _LIST_SEPARATORS.split(value) if v.text(name)]
    found: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            found.append(item)
        elif v.text(item):
            found.append({"company_name": item})
    return found


def extract(body: SalesNavPersonIngest) -> Facts | None:
    fields = row(body)
    url, member = identity(fields)
    current = p.job(
        company_name=fields.get("company_name"),
        company_domain=fields.get("company_domain") or fields.get("company_website"),
        company_linkedin_url=fields.get("company_linkedin_url"),
        title=fields.get("current_title"),
        start=fields.get("job_started_on"),
    )
    past = [
        p.job(
            company_name=p.first(item, "company_name", "name", "company"),
            company_domain=p.first(item, "company_domain", "domain", "website"),
            company_linkedin_url=p.first(item, "company_linkedin_url", "linkedin_url"),
            title=p.first(item, "title", "job_title"),
            current=False,
        )
        for item in _past(fields.get("past_companies"))
    ]
    person = p.person(
        linkedin_url=url,
        salesnav_id=member,
        fields={
            **p.names(fields.get("first_name"), fields.get("last_name"), fields.get("full_name")),
            "headline": v.text(fields.get("headline")),
            "location_name": v.text(fields.get("location")),
        },
        jobs=(current, *past),
    )
    if not person.identified:
        return None
    return Facts(observed_at=p.clay_timestamp(fields.get("scraped_at")), people=(person,))


def natural_key(body: SalesNavPersonIngest) -> str | None:
    url, member = identity(row(body))
    return url or (f"salesnav:{member}" if member else None)


DEFINITION = Definition(
    name="salesnav_people",
    routes=(
        Route(
            "/run/people/salesnav/scraped-data/ingest",
            "salesnav-people-scrape",
            "A person from Sales Navigator (scraper row or Clay SalesNav export row)",
        ),
    ),
    request=SalesNavPersonIngest,
    entity="person",
    natural_key=natural_key,
    extract=extract,
    feeds=("full_name", "headline", "location", "job_title", "work_history", "past_employers"),
    priority=3,
    provider="salesnav",
    platform="salesnav",
)
