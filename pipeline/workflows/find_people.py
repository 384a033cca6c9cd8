"""Clay find people: one person found at a company (name, location, latest job)."""

from __future__ import annotations

from pydantic import Field, field_validator

from pipeline.workflows import Definition, Facts, Route
from pipeline.workflows import people as p
from pipeline.workflows import values as v
from pipeline.workflows.bodies import RawPayload


class FindPeopleIngest(RawPayload):
    """`POST /run/people/clay-native/find-people/ingest`."""

    linkedin_url: str = Field(
        min_length=1,
        max_length=1000,
        description="The person's LinkedIn profile URL, any spelling",
        examples=["https://linkedin.com/in/johndoe"],
    )
    cleaned_first_name: str | None = Field(default=None, max_length=1000)
    cleaned_last_name: str | None = Field(default=None, max_length=1000)
    cleaned_full_name: str | None = Field(default=None, max_length=1000)
    clay_table_url: str | None = Field(default=None, max_length=2000)

    @field_validator("linkedin_url")
    @classmethod
    def _profile(cls, value: str) -> str:
        if p.profile_url(value) is None and p.member_id(value) is None:
            raise ValueError("is not a LinkedIn profile URL (expected linkedin.com/in/<slug>)")
        return value


def extract(body: FindPeopleIngest) -> Facts | None:
    raw = body.raw_payload
    # Cleaned names from the body win over the provider's raw ones, part by part; a full
    # name is rebuilt from cleaned parts rather than taken raw.
    first, last = v.text(body.cleaned_first_name), v.text(body.cleaned_last_name)
    full = v.text(body.cleaned_full_name)
    if full is None and first is None and last is None:
        full = v.text(raw.get("name") or raw.get("full_name"))
    names = p.names(first or raw.get("first_name"), last or raw.get("last_name"), full)
    current = p.job(
        company_name=p.first(raw, "latest_experience_company", "company_name", "company"),
        company_domain=p.first(raw, "domain", "company_domain", "company_website"),
        company_linkedin_url=p.first(raw, "latest_experience_company_linkedin_url"),
        title=p.first(raw, "latest_experience_title", "title", "job_title"),
        start=p.first(raw, "latest_experience_start_date", "start_date"),
    )
    person = p.person(
        linkedin_url=p.profile_url(body.linkedin_url) or p.profile_url(raw.get("url")),
        salesnav_id=p.member_id(body.linkedin_url),
        fields={
            **names,
            "headline": v.text(raw.get("headline")),
            "location_name": v.text(p.first(raw, "location_name", "location")),
        },
        jobs=(current,),
    )
    if not person.identified:
        return None
    return Facts(people=(person,))


DEFINITION = Definition(
    name="find_people",
    routes=(
        Route(
            "/run/people/clay-native/find-people/ingest",
            "clay-find-people",
            "Clay find people: a person found at a company (name, location, latest job)",
        ),
    ),
    request=FindPeopleIngest,
    entity="person",
    natural_key=lambda body: p.profile_url(body.linkedin_url) or p.member_id(body.linkedin_url),
    extract=extract,
    feeds=("full_name", "first_name", "last_name", "location", "job_title", "work_history"),
    priority=2,
    provider="clay",
    platform="clay",
)
