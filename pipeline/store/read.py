"""Reads that assemble what the API returns; no writes here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, distinct, func, literal_column, select

from pipeline import tables as t
from pipeline.store import companies as store_companies
from pipeline.store import persons as store_persons


def person_view(conn: Connection, *, linkedin_url: str) -> dict[str, Any] | None:
    """The assembled person of `GET /api/people` (found by URL or an alias), or None."""
    person_id = store_persons.person_id_for(conn, linkedin_url=linkedin_url)
    if person_id is None:
        return None
    row = conn.execute(select(t.people).where(t.people.c.id == person_id)).one()
    person = row._mapping
    pid = person["id"]
    return {
        "linkedin_url": person["linkedin_url"],
        "slug": person["slug"],
        "full_name": person["full_name"],
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "headline": person["headline"],
        "location": _one(conn, t.person_locations, pid, _LOCATION),
        "job_title": _one(conn, t.person_job_titles, pid, _TITLE),
        "tenure": _tenure(conn, pid),
        "work_history": _work_history(conn, pid),
        "past_employers": _many(
            conn, t.person_past_employer, pid, ("company_name", "company_domain")
        ),
        "education": _education(conn, person["linkedin_url"]),
        "email": person["email"],
        "email_choice": person["email_choice"],
        "emails": store_persons.emails_view(conn, person_id=pid),
        "provenance": store_persons.provenance(
            conn, person_id=pid, linkedin_url=person["linkedin_url"]
        ),
    }


_LOCATION = ("location_name", "city", "state", "country", "country_code")
_TITLE = ("latest_title", "cleaned_job_title", "seniority_level", "job_function", "matched")


def _one(
    conn: Connection, table: Table, person_id: int, fields: tuple[str, ...]
) -> dict[str, Any] | None:
    columns = [table.c[f] for f in fields]
    row = conn.execute(select(*columns).where(table.c.person_id == person_id)).first()
    return dict(row._mapping) if row else None


def _many(
    conn: Connection, table: Table, person_id: int, fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    columns = [table.c[f] for f in fields]
    rows = conn.execute(
        select(*columns).where(table.c.person_id == person_id).order_by(table.c.position)
    )
    return [dict(r._mapping) for r in rows]


def _tenure(conn: Connection, person_id: int) -> dict[str, Any] | None:
    fields = ("company_name", "company_domain", "title", "start_date", "start_precision")
    tenure = _one(conn, t.person_tenure, person_id, fields)
    if tenure is not None:
        tenure["start_date_precision"] = tenure.pop("start_precision")
    return tenure


def _work_history(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    fields = ("title", "company_name", "company_domain", "start_date", "end_date", "is_current")
    return _many(conn, t.person_work_history, person_id, fields)


def _education(conn: Connection, linkedin_url: str) -> list[dict[str, Any]]:
    table = t.person_education
    fields = ("school_name", "degree", "field_of_study", "start_date", "end_date")
    rows = conn.execute(
        select(*[table.c[f] for f in fields])
        .where(table.c.linkedin_url == linkedin_url)
        .order_by(table.c.position)
    )
    return [dict(r._mapping) for r in rows]


# --- companies ----------------------------------------------------------------------------


#: Company lists whose items are plain names, by API field and item kind.
_NAME_LISTS = {
    "keywords": "keyword",
    "technologies": "technology",
    "industries": "industry",
    "categories": "category",
    "specialties": "specialty",
    "naics_codes": "naics_code",
    "investors": "investor",
}
#: Company lists whose items are objects, by API field and item kind.
_OBJECT_LISTS = {
    "funding_rounds": "funding_round",
    "locations": "location",
    "socials": "social",
    "subsidiaries": "subsidiary",
}


def company_view(conn: Connection, *, domain: str) -> dict[str, Any] | None:
    """The company with this normalised domain (or a domain merged into it): its golden
    record, lists, provenance, ticker and head counts; None if unknown."""
    companies = t.companies
    company_id = store_companies.find_by_domain(conn, domain=domain)
    if company_id is None:
        return None
    row = conn.execute(select(companies).where(companies.c.id == company_id)).one()
    company = dict(row._mapping)
    company.pop("id")
    lists = store_companies.items(conn, company_id=company_id)
    for field, kind in _NAME_LISTS.items():
        company[field] = [item["name"] for item in lists.get(kind, [])]
    for field, kind in _OBJECT_LISTS.items():
        company[field] = lists.get(kind, [])
    public = t.company_public
    company["ticker"] = conn.execute(
        select(public.c.ticker)
        .where((public.c.domain == domain) | (public.c.company_id == company_id))
        .limit(1)
    ).scalar()
    history = t.person_work_history
    current = select(func.count(distinct(history.c.person_id))).where(
        history.c.company_id == company_id, history.c.is_current.is_(True)
    )
    past = select(func.count()).where(t.person_past_employer.c.company_id == company_id)
    company["people"] = {
        "current": conn.execute(current).scalar_one(),
        "past": conn.execute(past).scalar_one(),
    }
    return company


# --- enrichment status --------------------------------------------------------------------


#: Written as the index `ix_jobs_result_linkedin_url` is, so the planner can use it.
_RESULT_LINKEDIN_URL = t.jobs.c.result.op("->>")(literal_column("'linkedin_url'"))


def enrichment_status(conn: Connection, *, linkedin_url: str, workflow_slug: str) -> dict[str, Any]:
    """How often `workflow_slug` has enriched this person: succeeded jobs and their payloads."""
    raw, jobs = t.person_payloads, t.jobs
    stmt = (
        select(func.count(), func.max(raw.c.received_at))
        .select_from(raw.join(jobs, jobs.c.job_id == raw.c.job_id))
        .where(
            _RESULT_LINKEDIN_URL == linkedin_url,
            jobs.c.status == "succeeded",
            raw.c.workflow_slug == workflow_slug,
        )
    )
    count, last = conn.execute(stmt).one()
    return {"enriched": count > 0, "count": int(count), "last_enriched_at": last}
