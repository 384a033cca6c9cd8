"""What the signal workflows share: reading an event from a Clay row, and its natural key.

A signal body is either the client-scoped envelope (`client_domain`* plus the provider's
event object, e.g. `raw_job_change_payload`*, plus Clay's window fields) or an older flat
row (the event's fields at the top level; lists may be comma-separated text). Both are read
as one flat mapping: the event object's keys, then the row's own (`event_fields`).

Each event is one `SignalFacts` keyed on its natural key within (client, kind):
job change / promotion: person, new company, folded title, start date; new hire: person and
company; job posting: company and the posting's id (else its title, location and date).
A job change or promotion also carries the person's new job (`PersonFacts.jobs`, with
`supersedes`), so their work history and tenure follow through the normal sync.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from pipeline.person_merge import job_key
from pipeline.workflows import Facts
from pipeline.workflows import people as p
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged
from pipeline.workflows.people_facts import SignalFacts
from schemas import canonical

_JOB_ID = re.compile(r"/jobs/view/(?:[^/?#]*?-)?([0-9]{5,})")


class SignalBody(Slugged):
    """Fields every signal body may carry (the event's own fields vary: kept as extras)."""

    client_domain: str | None = Field(
        default=None, max_length=1000, description="The client the signal is for, any spelling"
    )
    clay_table_url: str | None = Field(default=None, max_length=2000)


def event_fields(body: Slugged, payload_field: str | None = None) -> dict[str, Any]:
    """The event as one mapping: the provider object's keys, then the row's own."""
    row = {**body.model_dump(exclude={payload_field} if payload_field else None)}
    row |= body.model_extra or {}
    nested = v.obj(getattr(body, payload_field, None)) if payload_field else {}
    for key in ("person", "profile"):
        row |= {f"person_{k}": val for k, val in v.obj(nested.get(key)).items()}
    return {**nested, **{k: val for k, val in row.items() if not v.absent(val)}}


def client(body: SignalBody) -> str:
    """The client's normalised domain ('' when the body names none)."""
    return canonical.domain(v.text(body.client_domain)) or ""


def person_ids(event: dict[str, Any]) -> tuple[str | None, str | None]:
    """The person's public URL and Sales Navigator member id, from the usual keys."""
    raw = p.first(
        event,
        "person_linkedin_url",
        "linkedin_url",
        "profile_url",
        "person_profile_url",
        "person_url",
        "linkedin_profile_url",
    )
    urn = p.first(event, "linkedin_urn", "person_urn", "salesnav_url", "sales_navigator_url")
    return p.profile_url(raw), p.member_id(raw) or p.member_id(urn)


def person_names(event: dict[str, Any]) -> dict[str, str]:
    return p.names(
        p.first(event, "first_name", "person_first_name"),
        p.first(event, "last_name", "person_last_name"),
        p.first(event, "full_name", "name", "person_full_name", "person_name"),
    )


def company(event: dict[str, Any], *prefixes: str) -> dict[str, Any]:
    """The company the event happened at: the first prefix whose fields name one."""
    for prefix in (*prefixes, ""):
        found = {
            "name": v.text(p.first(event, f"{prefix}company_name", f"{prefix}company")),
            "domain": v.domain(
                p.first(event, f"{prefix}company_domain", f"{prefix}company_website")
            ),
            "linkedin_url": v.company_linkedin_url(
                p.first(event, f"{prefix}company_linkedin_url", f"{prefix}company_url")
            ),
        }
        if any(found.values()):
            return found
    return {"name": None, "domain": None, "linkedin_url": None}


def job_move(body: SignalBody, event: dict[str, Any], *, kind: str, slug_key: str) -> Facts | None:
    """A job change or promotion: the signal, and the person's new job."""
    url, member = person_ids(event)
    new = company(event, "new_", "current_", "latest_")
    title = v.text(p.first(event, "new_title", "current_title", "title", "job_title"))
    start = p.clay_date(
        p.first(event, "start_date", "new_start_date", "started_on", "job_started_on")
    )
    if not (url or member) or not (new["name"] or new["domain"] or new["linkedin_url"]):
        return None
    previous = company(event, "previous_", "old_", "past_")
    when = p.clay_timestamp(
        p.first(event, "detected_at", "signal_date", "date", "created_at", "changed_at")
    )
    job = p.job(
        company_name=new["name"],
        company_domain=new["domain"],
        company_linkedin_url=new["linkedin_url"],
        title=title,
        start=start,
        supersedes=kind,
    )
    person = p.person(
        linkedin_url=url,
        salesnav_id=member,
        fields={
            **person_names(event),
            "location_name": v.text(p.first(event, "location", "person_location")),
        },
        jobs=(job,),
    )
    key = "|".join(
        (
            url or member or "",
            job_key(new["domain"], new["name"], title),
            start.value.isoformat() if start else "",
        )
    )
    signal = SignalFacts(
        kind=kind,
        client_domain=client(body),
        key=key,
        person_linkedin_url=url,
        person_salesnav_id=member,
        company_domain=new["domain"],
        company_linkedin_url=new["linkedin_url"],
        company_name=new["name"],
        title=title,
        occurred_on=start,
        occurred_at=when,
        details=v.compact(
            {
                "previous_company_name": previous["name"],
                "previous_company_domain": previous["domain"],
                "previous_title": v.text(p.first(event, "previous_title", "old_title")),
                slug_key: v.text(event.get(slug_key)),
            }
        ),
    )
    # The provider's detection time, when it gives one, is when the job was observed: a
    # change detected before the person's profile was last refreshed is stale for their
    # work history (the signal itself is still recorded).
    return Facts(observed_at=when, people=(person,), signals=(signal,))


def posting_id(event: dict[str, Any]) -> str | None:
    """The job posting's id: LinkedIn's from its URL, else the provider's own id."""
    url = v.text(p.first(event, "job_linkedin_url", "job_url", "linkedin_job_url", "url"))
    if url and (match := _JOB_ID.search(url)):
        return f"linkedin:{match.group(1)}"
    own = v.text(p.first(event, "job_id", "linkedin_job_id", "id", "posting_id"))
    if own:
        return f"id:{own}"
    return f"url:{url}" if url else None
