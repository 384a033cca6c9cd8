"""Which jobs were about a client, a person or a company: conditions on a `job_id` column.

Shared by the dead-letter filters and the dashboard's job search. A job is found through
what it left behind: its raw payload (every `raw.*` table with a `job_id`, so a new workflow's
raw table is searched without a change here), its lead, and for a person job the LinkedIn URL
its result names (`ix_jobs_result_linkedin_url`). A job about a company is one whose lead or
payload names the domain, or a person job about someone who works or worked there.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, Table, false, literal_column, or_, select

from pipeline import tables as t
from schemas.ops_api import SubjectFilter

#: Written as the index `ix_jobs_result_linkedin_url` is, so the planner can use it.
RESULT_LINKEDIN_URL = t.jobs.c.result.op("->>")(literal_column("'linkedin_url'"))

#: Columns of a raw table or lead that name the person a payload is about.
PERSON_COLUMNS = ("linkedin_url", "natural_key")

#: Columns of a raw table that name the company a payload is about.
COMPANY_COLUMNS = ("company_domain", "domain", "natural_key")


def raw_tables() -> list[Table]:
    """Every table of raw payloads that records its job (`job_id` and `raw_payload`)."""
    return [
        table
        for table in t.metadata.sorted_tables
        if table.schema == "raw" and {"job_id", "raw_payload"} <= set(table.c.keys())
    ]


def about(job_id: ColumnElement[str], where: SubjectFilter) -> list[ColumnElement[bool]]:
    """Conditions on `job_id` for each subject `where` names (all must hold)."""
    conditions: list[ColumnElement[bool]] = []
    if where.client_domain:
        conditions.append(_any(job_id, _by_columns(("client_domain",), where.client_domain)))
    if where.linkedin_url:
        conditions.append(_any(job_id, _person_jobs(where.linkedin_url)))
    if where.company_domain:
        conditions.append(_any(job_id, _company_jobs(where.company_domain)))
    return conditions


def _any(job_id: ColumnElement[str], selects: list[Select[tuple[str]]]) -> ColumnElement[bool]:
    return or_(*(job_id.in_(s) for s in selects)) if selects else false()


def _by_columns(columns: tuple[str, ...], value: str) -> list[Select[tuple[str]]]:
    """Job ids of raw payloads and leads whose column (any of `columns`) equals `value`."""
    found = []
    for table in [*raw_tables(), t.leads]:
        for name in columns:
            if name in table.c:
                found.append(select(table.c.job_id).where(table.c[name] == value))
    return found


def _person_jobs(url: str) -> list[Select[tuple[str]]]:
    jobs = t.jobs
    return [
        select(jobs.c.job_id).where(RESULT_LINKEDIN_URL == url),
        *_by_columns(PERSON_COLUMNS, url),
    ]


def _company_jobs(domain: str) -> list[Select[tuple[str]]]:
    jobs, experience = t.jobs, t.person_experience
    staff = select(experience.c.linkedin_url).where(experience.c.company_domain == domain)
    return [
        *_by_columns(COMPANY_COLUMNS, domain),
        select(jobs.c.job_id).where(RESULT_LINKEDIN_URL.in_(staff)),
    ]
