"""Job-posting and new-hire signals: a company's new posting, a person's new hire.

Client-scoped job posting: `client_domain`* + `raw_job_post_data_payload`*; the older
`/companies/clay-native/signal-job-posting-2` row is flat (`company_domain`, `job_title`,
`job_linkedin_url`, `post_on` or `posted_on` — its old API model and function disagreed,
so both spellings are read). One posting per (client, company, job id). New hire (older
path): `company_domain` or `company_linkedin_url` + the person; one per (client, person,
company), and the person's job at that company.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from pipeline.workflows import Definition, Facts, Route
from pipeline.workflows import people as p
from pipeline.workflows import signal_events as s
from pipeline.workflows import values as v
from pipeline.workflows.people_facts import SignalFacts


class JobPostingIngest(s.SignalBody):
    """`POST /run/people/clay-native/signal-job-posting/ingest`."""

    client_domain: str = Field(
        min_length=1, max_length=1000, description="The client the signal is for, any spelling"
    )
    raw_fields = frozenset({"raw_job_post_data_payload"})
    raw_job_post_data_payload: dict[str, Any] = Field(description="Clay's job-posting data")


class JobPostingFlat(s.SignalBody):
    """`POST /run/companies/clay-native/signal-job-posting-2/ingest` (older, flat)."""

    company_domain: str | None = Field(default=None, max_length=1000)
    company_linkedin_url: str | None = Field(default=None, max_length=1000)
    company_name: str | None = Field(default=None, max_length=1000)
    job_title: str | None = Field(default=None, max_length=2000)
    job_linkedin_url: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=1000)
    post_on: str | None = Field(default=None, max_length=100)
    signal_slug: str | None = Field(default=None, max_length=200)
    raw_fields = frozenset({"company_record_raw_payload"})


class NewHireFlat(s.SignalBody):
    """`POST /run/people/clay-native/signal-new-hire-2/ingest` (older, flat)."""

    company_domain: str | None = Field(default=None, max_length=1000)
    company_linkedin_url: str | None = Field(default=None, max_length=1000)
    company_name: str | None = Field(default=None, max_length=1000)
    person_linkedin_url: str | None = Field(
        default=None, max_length=20_000, description="One profile URL, or several comma-separated"
    )
    signal_slug: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _company_named(self) -> NewHireFlat:
        if not (v.domain(self.company_domain) or v.company_linkedin_url(self.company_linkedin_url)):
            raise ValueError("company_domain or company_linkedin_url is required")
        return self


def _posting(body: s.SignalBody, field: str | None) -> Facts | None:
    event = s.event_fields(body, field)
    company = s.company(event)
    job_id = s.posting_id(event)
    title = v.text(p.first(event, "job_title", "title", "position"))
    location = v.text(p.first(event, "location", "job_location"))
    posted = p.first(event, "post_on", "posted_on", "posted_at", "date_posted", "post_date")
    key_company = company["domain"] or company["linkedin_url"] or company["name"]
    if key_company is None or not (job_id or title):
        return None
    occurred = p.clay_date(posted)
    key = f"{key_company}|" + (
        job_id or f"{(title or '').casefold()}|{(location or '').casefold()}|{posted or ''}"
    )
    signal = SignalFacts(
        kind="job_posting",
        client_domain=s.client(body),
        key=key,
        company_domain=company["domain"],
        company_linkedin_url=company["linkedin_url"],
        company_name=company["name"],
        title=title,
        occurred_on=occurred,
        occurred_at=p.clay_timestamp(posted) if posted and ":" in str(posted) else None,
        details=v.compact(
            {
                "job_id": job_id,
                "job_url": v.text(p.first(event, "job_linkedin_url", "job_url", "url")),
                "location": location,
                "signal_slug": v.text(event.get("signal_slug")),
            }
        ),
    )
    return Facts(signals=(signal,))


def _hires(event: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """Each person a new-hire row names: one profile URL, or several as a JSON list or
    comma-separated text (Clay's list cells)."""
    raw = p.first(event, "person_linkedin_urls", "person_linkedin_url", "linkedin_url")
    if isinstance(raw, list) or (isinstance(raw, str) and "," in raw):
        found = [(p.profile_url(u), p.member_id(u)) for u in v.texts(raw)]
        return [ids for ids in dict.fromkeys(found) if ids[0] or ids[1]]
    ids = s.person_ids(event)
    return [ids] if ids[0] or ids[1] else []


def _new_hire(body: NewHireFlat) -> Facts | None:
    event = s.event_fields(body)
    hires = _hires(event)
    if not hires:
        return None
    company = s.company(event)
    title = v.text(p.first(event, "title", "job_title", "new_title"))
    start = p.clay_date(p.first(event, "start_date", "started_on", "hired_on"))
    job = p.job(
        company_name=company["name"],
        company_domain=company["domain"],
        company_linkedin_url=company["linkedin_url"],
        title=title,
        start=start,
    )
    names = s.person_names(event) if len(hires) == 1 else {}
    people = tuple(
        p.person(linkedin_url=url, salesnav_id=member, fields=names, jobs=(job,))
        for url, member in hires
    )
    signals = tuple(
        SignalFacts(
            kind="new_hire",
            client_domain=s.client(body),
            key=f"{url or member}|{company['domain'] or company['linkedin_url']}",
            person_linkedin_url=url,
            person_salesnav_id=member,
            company_domain=company["domain"],
            company_linkedin_url=company["linkedin_url"],
            company_name=company["name"],
            title=title,
            occurred_on=start,
            details=v.compact({"signal_slug": v.text(event.get("signal_slug"))}),
        )
        for url, member in hires
    )
    return Facts(people=people, signals=signals)


def _posting_key(body: s.SignalBody, field: str | None) -> str:
    event = s.event_fields(body, field)
    company = s.company(event)
    return f"{s.client(body)}|{company['domain'] or company['name'] or ''}|{s.posting_id(event)}"


JOB_POSTING = Definition(
    name="signal_job_posting",
    routes=(
        Route(
            "/run/people/clay-native/signal-job-posting/ingest",
            "clay-signal-job-posting",
            "A job-posting signal for a client",
        ),
    ),
    request=JobPostingIngest,
    entity="signal",
    natural_key=lambda body: _posting_key(body, "raw_job_post_data_payload"),
    extract=lambda body: _posting(body, "raw_job_post_data_payload"),
    feeds=("signals",),
    priority=2,
    provider="clay",
    platform="clay",
)
JOB_POSTING_FLAT = Definition(
    name="signal_job_posting_flat",
    routes=(
        Route(
            "/run/companies/clay-native/signal-job-posting-2/ingest",
            "clay-job-posting",
            "A job-posting signal (older flat row)",
        ),
    ),
    request=JobPostingFlat,
    entity="signal",
    natural_key=lambda body: _posting_key(body, None),
    extract=lambda body: _posting(body, None),
    feeds=("signals",),
    priority=2,
    provider="clay",
    platform="clay",
)
NEW_HIRE_FLAT = Definition(
    name="signal_new_hire_flat",
    routes=(
        Route(
            "/run/people/clay-native/signal-new-hire-2/ingest",
            "clay-new-hire",
            "A new-hire signal (older flat row)",
        ),
    ),
    request=NewHireFlat,
    entity="signal",
    natural_key=lambda body: f"{s.client(body)}|{v.text(body.person_linkedin_url) or ''}",
    extract=_new_hire,
    feeds=("signals", "work_history"),
    priority=2,
    provider="clay",
    platform="clay",
)
