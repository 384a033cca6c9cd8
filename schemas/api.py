"""Response bodies of the HTTP API (documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from schemas.callbacks import CallbackStatus

JobStatusName = Literal["queued", "running", "succeeded", "failed", "dead"]


class JobAccepted(BaseModel):
    """202 body: the request is in Redis and will be processed."""

    job_id: str
    status: JobStatusName = "queued"
    status_url: str
    duplicate: bool = Field(
        default=False, description="True when this answers a repeat within the de-dup window"
    )


class StageStatus(BaseModel):
    """One stage of a job: its latest attempt."""

    stage: str
    status: str
    attempts: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    next_attempt_at: datetime | None = None
    error: str | None = None


class JobEvent(BaseModel):
    """One entry of a job's history (attempts, retries, death, replay)."""

    at: datetime
    stage: str | None
    event: str
    detail: str | None = None


class JobStatus(BaseModel):
    """`GET /jobs/{job_id}`."""

    job_id: str
    kind: str | None = None
    status: JobStatusName
    stage: str | None = None
    workflow_slug: str | None = None
    stages: list[StageStatus] = []
    history: list[JobEvent] = []
    result: dict[str, Any] | None = None
    error: str | None = None
    replays: int = 0
    dead_letter_ids: list[int] = []
    callback: CallbackStatus | None = Field(
        default=None, description="Write-back of the outcome to the request's callback_url"
    )
    counts: dict[str, int | None] | None = Field(
        default=None,
        description="A reprocess job's progress: payloads `done`, `failed` (dead), `total`",
    )
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None


class Location(BaseModel):
    location_name: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None


class JobTitle(BaseModel):
    latest_title: str | None = None
    cleaned_job_title: str | None = None
    seniority_level: str | None = None
    job_function: str | None = None
    matched: bool = False


class Tenure(BaseModel):
    company_name: str | None = None
    company_domain: str | None = None
    title: str | None = None
    start_date: date | None = None
    start_date_precision: str | None = None


class WorkHistoryItem(BaseModel):
    title: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    is_current: bool = False


class PastEmployer(BaseModel):
    company_name: str | None = None
    company_domain: str | None = None


class EducationItem(BaseModel):
    school_name: str | None = None
    degree: str | None = None
    field_of_study: str | None = None
    start_date: date | None = None
    end_date: date | None = None


class FieldSource(BaseModel):
    """Where a golden person field's value came from: the workflow slug, and when."""

    source: str
    observed_at: datetime


class EmailResult(BaseModel):
    """One provider's result for one address (`core.person_emails`)."""

    email: str
    provider: str
    status: Literal["valid", "catch_all", "risky", "unknown", "invalid"]
    raw_status: str | None = None
    certainty: str | None = None
    catch_all: bool | None = None
    mx_provider: str | None = None
    mx_records: list[str] = []
    source: str
    observed_at: datetime


class EmailChoice(BaseModel):
    """Which e-mail is the person's best, and why."""

    email: str
    status: str
    provider: str
    source: str
    observed_at: datetime
    reason: str


class Person(BaseModel):
    """`GET /api/people`: the assembled person."""

    linkedin_url: str
    slug: str
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    headline: str | None = None
    location: Location | None = None
    job_title: JobTitle | None = None
    tenure: Tenure | None = None
    work_history: list[WorkHistoryItem] = []
    past_employers: list[PastEmployer] = []
    education: list[EducationItem] = []
    email: str | None = Field(
        default=None, description="The best e-mail: by status, then recency, then provider"
    )
    email_choice: EmailChoice | None = None
    emails: list[EmailResult] = Field(
        default=[], description="Every provider's result, best status first, with provenance"
    )
    provenance: dict[str, FieldSource] = Field(
        default_factory=dict, description="Per golden field: the source it came from, and when"
    )


class Signal(BaseModel):
    """One event for one client (`core.signals`)."""

    id: int
    client_domain: str
    kind: Literal["job_change", "promotion", "new_hire", "job_posting"]
    signal_key: str = Field(description="The event's natural key within (client, kind)")
    person_linkedin_url: str | None = None
    company_domain: str | None = None
    company_name: str | None = None
    title: str | None = None
    occurred_on: date | None = None
    occurred_precision: str | None = None
    occurred_at: datetime | None = None
    details: dict[str, Any] = {}
    source: str = Field(description="The workflow slug that observed it")
    observed_at: datetime
    created_at: datetime


class SignalList(BaseModel):
    """`GET /api/signals`."""

    client_domain: str | None = Field(description="None: every client (admin keys only)")
    signals: list[Signal]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}
