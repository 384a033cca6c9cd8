"""Console pages: per-workflow health, and a golden record's story (company, person).

A record page shows what `GET /api/companies/{domain}` or `GET /api/people?linkedin_url=`
returns, each field with its source and time, and every job that touched the record (each
links to its job page, which shows the raw body). Sources come from the record's own
`provenance` when it has one; for a person without it, every field comes from the extracted
profile (its workflow, job and extraction time) that the golden person is synced from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from gateway import dashboard
from gateway.console import LIST_LIMIT, page
from gateway.deps import ServicesDep
from pipeline import workflowhealth
from pipeline.store import console, read
from pipeline.store import dashboard as dashboard_store
from schemas import canonical
from schemas.ops_api import JobFilter

router = APIRouter(prefix="/dashboard", include_in_schema=False)

#: Window of the per-workflow numbers; the stopped rule looks back further.
DAY = timedelta(hours=24)
#: Height of a workflow's hourly bars (SVG units).
SPARK_HEIGHT = 36


@router.get("/workflows", response_class=HTMLResponse)
async def workflows(request: Request, services: ServicesDep) -> Response:
    """Every registered workflow: jobs per hour by status, latency, extraction, silence."""
    now = datetime.now(UTC)

    def read_page(conn: Connection) -> dict[str, Any]:
        since = now - DAY * (workflowhealth.STOPPED_PRIOR_DAYS + 1)
        rows = workflowhealth.health(
            registered=console.registered_workflows(conn),
            activity=console.workflow_activity(conn, since=since, day_start=now - DAY),
            last_success=console.last_successes(conn),
        )
        hourly = dashboard_store.jobs_by_hour(conn, since=now - DAY)
        for row in rows:
            mine = [h for h in hourly if h["workflow"] == row["workflow"]]
            row["chart"] = dashboard.hourly_chart(mine, now=now, height=SPARK_HEIGHT)
        return {"now": now, "workflows": rows, "rule": workflowhealth}

    return await page(request, services, "console_workflows.html", read_page, nav="workflows")


@router.get("/company", response_class=HTMLResponse)
async def find_company(domain: str = "") -> Response:
    """The header's company search: on to the company's page (any spelling of the domain)."""
    spelled = canonical.domain(domain) or domain.strip() or "-"
    return RedirectResponse(f"/dashboard/company/{quote(spelled)}", status_code=303)


@router.get("/company/{domain:path}", response_class=HTMLResponse)
async def company(request: Request, services: ServicesDep, domain: str) -> Response:
    """A company's golden record, each field's source and time, and the jobs about it."""
    spelled = canonical.domain(domain)

    def read_page(conn: Connection) -> dict[str, Any] | None:
        record = read.company_view(conn, domain=spelled) if spelled else None
        if record is None:
            return None
        provenance = record.pop("provenance", None) or {}
        return {
            "title": f"Company {spelled}",
            "record": record,
            "fields": fields(record, provenance),
            **_jobs(conn, JobFilter(company_domain=spelled)),
        }

    return await page(request, services, "console_record.html", read_page)


@router.get("/person", response_class=HTMLResponse)
async def person(request: Request, services: ServicesDep, linkedin_url: str = "") -> Response:
    """A person's golden record, each field's source and time, and the jobs about them."""
    url = canonical.linkedin_url(linkedin_url)

    def read_page(conn: Connection) -> dict[str, Any] | None:
        record = read.person_view(conn, linkedin_url=url) if url else None
        if record is None or url is None:
            return None
        provenance = record.pop("provenance", None) or {}
        source = console.person_source(conn, linkedin_url=url)
        return {
            "title": f"Person {record.get('full_name') or url}",
            "record": record,
            "fields": fields(record, provenance, fallback=_profile_source(source)),
            **_jobs(conn, JobFilter(linkedin_url=url)),
        }

    return await page(request, services, "console_record.html", read_page)


def _profile_source(source: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "source": source["workflow_slug"],
        "observed_at": source["extracted_at"],
        "job_id": source["job_id"],
        "detail": f"{source['shape']} profile, raw payload {source['raw_payload_id']}",
    }


def _jobs(conn: Connection, where: JobFilter) -> dict[str, Any]:
    return {
        "jobs": console.find_jobs(conn, where=where, limit=LIST_LIMIT),
        "jobs_total": console.count_jobs(conn, where=where),
        "jobs_where": where.model_dump(mode="json", exclude_none=True),
    }


def fields(
    record: Mapping[str, Any],
    provenance: Mapping[str, Any],
    *,
    fallback: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per field of a record: its value as text, and its source and time.

    A field's source is `provenance[field]` (`{"source", "observed_at", …}`) when the record
    carries one, else `fallback` (one source for the whole record), else unknown.
    """
    rows = []
    for name, value in record.items():
        origin = provenance.get(name) or fallback or {}
        rows.append(
            {
                "field": name,
                "value": _text(value),
                "empty": value in (None, "", [], {}),
                "source": origin.get("source"),
                "observed_at": _time(origin.get("observed_at")),
                "job_id": origin.get("job_id"),
                "detail": origin.get("detail"),
            }
        )
    return rows


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict | list):
        return orjson.dumps(
            value, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        ).decode()
    return str(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
