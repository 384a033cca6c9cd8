"""Read queries of the operator's console: job search, a job's raw body, workflow health.

Windowed job scans use `status IN (every status) AND updated_at >= since`, which the
`(status, updated_at)` index answers however large `ops.jobs` grows (see
`pipeline.store.dashboard`). Who a job was about comes from `pipeline.store.subjects`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, and_, cast, func, null, select
from sqlalchemy.sql import ColumnElement

from pipeline import tables as t
from pipeline.store import subjects
from pipeline.store.dashboard import STATUSES
from schemas.ops_api import JobFilter

_jobs = t.jobs

#: A job's workflow: its slug, else its kind (lookups and updates have no slug).
WORKFLOW = func.coalesce(_jobs.c.workflow_slug, _jobs.c.kind)

#: Columns of a job in a list.
JOB_SUMMARY = (
    _jobs.c.job_id,
    _jobs.c.kind,
    _jobs.c.status,
    _jobs.c.stage,
    _jobs.c.workflow_slug,
    _jobs.c.error,
    _jobs.c.created_at,
    _jobs.c.updated_at,
    _jobs.c.replays,
)


def _job_conditions(where: JobFilter) -> list[ColumnElement[bool]]:
    c = _jobs.c
    conditions: list[ColumnElement[bool]] = [
        c.status.in_([where.status] if where.status else STATUSES)
    ]
    if where.workflow:
        conditions.append(WORKFLOW == where.workflow)
    if where.stage:
        conditions.append(c.stage == where.stage)
    if where.since:
        conditions.append(c.updated_at >= where.since)
    if where.until:
        conditions.append(c.updated_at < where.until)
    return conditions + subjects.about(c.job_id, where)


def find_jobs(conn: Connection, *, where: JobFilter, limit: int) -> list[dict[str, Any]]:
    """Matching jobs, latest change first."""
    stmt = (
        select(*JOB_SUMMARY)
        .where(*_job_conditions(where))
        .order_by(_jobs.c.updated_at.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def count_jobs(conn: Connection, *, where: JobFilter) -> int:
    """How many jobs match."""
    stmt = select(func.count()).select_from(_jobs).where(*_job_conditions(where))
    return int(conn.execute(stmt).scalar_one())


def raw_payload(conn: Connection, *, job_id: str) -> dict[str, Any] | None:
    """The body a job received, as stored: `{"table", "raw_payload", "raw_text",
    "received_at"}` (`raw_text`: the body as received when jsonb cannot hold it, else None)."""
    for table in subjects.raw_tables():
        received = table.c.received_at if "received_at" in table.c else func.now()
        exact = table.c.raw_text if "raw_text" in table.c else null()
        stmt = select(table.c.raw_payload, exact.label("raw_text"), received.label("received_at"))
        row = conn.execute(stmt.where(table.c.job_id == job_id)).mappings().first()
        if row is not None:
            return {"table": table.fullname, **row}
    return None


def workflow_activity(
    conn: Connection, *, since: datetime, day_start: datetime
) -> list[dict[str, Any]]:
    """Per workflow, jobs changed since `since`: counts before and after `day_start`, and for
    the jobs after it, end-to-end latency percentiles and the succeeded jobs kept raw only."""
    c = _jobs.c
    recent = c.updated_at >= day_start
    done = and_(recent, c.status == "succeeded")
    seconds = cast(func.extract("epoch", c.finished_at - c.created_at), Float)
    stmt = (
        select(
            WORKFLOW.label("workflow"),
            func.count().filter(recent).label("last_day"),
            func.count().filter(~recent).label("before"),
            func.count().filter(done).label("succeeded"),
            func.count()
            .filter(and_(done, c.result["extracted"].astext == "false"))
            .label("raw_only"),
            func.percentile_cont(0.5).within_group(seconds).filter(done).label("p50"),
            func.percentile_cont(0.95).within_group(seconds).filter(done).label("p95"),
        )
        .where(c.status.in_(STATUSES), c.updated_at >= since)
        .group_by(WORKFLOW)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def last_successes(conn: Connection) -> dict[str, datetime]:
    """When each workflow last had a job succeed (any time)."""
    c = _jobs.c
    stmt = (
        select(WORKFLOW, func.max(c.finished_at)).where(c.status == "succeeded").group_by(WORKFLOW)
    )
    return {workflow: at for workflow, at in conn.execute(stmt) if at is not None}


def registered_workflows(conn: Connection) -> list[dict[str, Any]]:
    """Rows of `reference.enrichment_workflow_registry`, by slug."""
    registry = t.enrichment_workflow_registry
    stmt = select(registry).order_by(registry.c.workflow_slug)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def person_source(conn: Connection, *, linkedin_url: str) -> dict[str, Any] | None:
    """Where a person's profile fields came from: the extracted profile's workflow, raw
    payload and job, and when it was extracted."""
    profile, raw = t.person_profile, t.person_payloads
    stmt = (
        select(
            profile.c.workflow_slug,
            profile.c.shape,
            profile.c.extracted_at,
            profile.c.refreshed_at,
            raw.c.id.label("raw_payload_id"),
            raw.c.job_id,
        )
        .join(raw, raw.c.id == profile.c.raw_payload_id)
        .where(profile.c.linkedin_url == linkedin_url)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None
