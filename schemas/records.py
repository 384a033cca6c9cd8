"""Records that pipeline stages produce and the store writes.

These are the contract between the pure transforms in `pipeline/` and the SQL in
`pipeline/store.py`: transforms return them, writers persist them field for field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: How precise a date is: the provider said so explicitly (day/month/year) or cannot tell
#: (Clay always sends ``YYYY-MM-01``, so a Clay date is ``unknown``).
Precision = Literal["day", "month", "year", "unknown"]

#: The provider shapes the extractor recognises.
Shape = Literal["clay", "proxycurl", "pdl"]


class Record(BaseModel):
    """Base for immutable stage records."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class PartialDate(Record):
    """A date as ISO ``YYYY-MM-DD`` plus how much of it the source actually gave."""

    value: date
    precision: Precision


class ExperienceRecord(Record):
    """One row of a person's work history, normalised."""

    position: int = Field(description="Index in the provider's experience array")
    title: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    company_key: str | None = Field(
        default=None,
        description="Normalised domain, else 'name:' + trimmed lower-cased name; None if neither",
    )
    company_linkedin_url: str | None = None
    location: str | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    is_current: bool = False
    title_levels: tuple[str, ...] = ()
    title_role: str | None = None
    title_sub_role: str | None = None


class EducationRecord(Record):
    """One school entry, dated, partly dated or undated."""

    position: int
    school_name: str | None = None
    degree: str | None = None
    field_of_study: str | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None


class ProfileRecord(Record):
    """What `extract_profile` derives from one raw person payload."""

    linkedin_url: str
    slug: str
    shape: Shape
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    headline: str | None = None
    summary: str | None = None
    location_name: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    connections: int | None = None
    picture_url: str | None = None
    refreshed_at: datetime | None = Field(
        default=None, description="Provider refresh time, used to ignore stale payloads"
    )
    experiences: tuple[ExperienceRecord, ...] = ()
    educations: tuple[EducationRecord, ...] = ()


class CompanyRecord(Record):
    """A company as `core.companies` keeps it, merged over a profile's experience rows."""

    company_key: str
    domain: str | None = None
    name: str
    aliases: tuple[str, ...] = ()
    linkedin_url: str | None = None


class WorkHistoryRecord(Record):
    """One row of `core.person_work_history`."""

    position: int
    company_key: str | None
    company_name: str | None
    company_domain: str | None
    title: str | None
    start: PartialDate | None
    end: PartialDate | None
    is_current: bool


class TenureRecord(Record):
    """The current job that started most recently (`core.person_tenure`)."""

    company_key: str | None
    company_name: str | None
    company_domain: str | None
    title: str | None
    start: PartialDate | None


class PromotionRecord(Record):
    """Two successive titles at one company (`core.person_promotions`)."""

    company_key: str
    from_title: str | None
    to_title: str | None
    promoted_on: PartialDate | None


class PastEmployerRecord(Record):
    """A company the person worked at and no longer does (`core.person_past_employer`)."""

    company_key: str
    company_name: str
    company_domain: str | None
    aliases: tuple[str, ...] = ()


class CoreRecord(Record):
    """Everything `sync_core` writes for one person, derived purely from a profile."""

    linkedin_url: str
    slug: str
    full_name: str | None
    current_titles: tuple[str, ...] = ()
    companies: tuple[CompanyRecord, ...] = ()
    work_history: tuple[WorkHistoryRecord, ...] = ()
    tenure: TenureRecord | None = None
    promotions: tuple[PromotionRecord, ...] = ()
    past_employers: tuple[PastEmployerRecord, ...] = ()


class TitleMatch(Record):
    """A job title classified on LinkedIn's taxonomy (lookup suggestion or backfill)."""

    cleaned_job_title: str | None
    seniority_level: str | None
    job_function: str | None


class LocationMatch(Record):
    """A free-text location resolved to city/state/country."""

    city: str | None
    state: str | None
    country: str | None
    country_code: str | None


class LeadRecord(Record):
    """A client form lead after normalisation (`client.leads`)."""

    client_domain: str
    client_form_id: str | None = None
    client_form_title: str | None = None
    email: str | None = None
    is_free_email: bool = False
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    linkedin_url: str | None = None
    job_title: str | None = None
    seniority: str | None = None
    function: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    company_linkedin_url: str | None = None
    company_size: str | None = None
    company_industry: str | None = None
    source: str | None = None
    submitted_at: datetime | None = None
    person_key: str | None = None
    extra: dict[str, object] = Field(default_factory=dict)
