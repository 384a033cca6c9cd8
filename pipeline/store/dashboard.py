"""Read queries for the operator's view: job counts, stage latencies, one job's state.

Time-windowed queries select jobs by `status IN (every status) AND updated_at >= since`,
which PostgreSQL answers from the `(status, updated_at)` index however large `ops.jobs`
grows; a stage's rows are then found by job id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, cast, func, literal_column, select
from sqlalchemy.sql import ColumnElement

from pipeline import tables as t

#: Every job status, so the `(status, updated_at)` index serves windowed scans.
STATUSES = ("queued", "running", "succeeded", "failed", "dead")


def _recent(since: datetime) -> ColumnElement[bool]:
    jobs = t.jobs
    return jobs.c.status.in_(STATUSES) & (jobs.c.updated_at >= since)


def job_state(conn: Connection, *, job_id: str) -> str | None:
    """A job's status, or None if no worker has recorded it yet."""
    return conn.execute(
        select(t.jobs.c.status).where(t.jobs.c.job_id == job_id)
    ).scalar_one_or_none()


def job_row(conn: Connection, *, job_id: str) -> dict[str, Any] | None:
    """The `ops.jobs` row of a job, without its stages and history."""
    row = conn.execute(select(t.jobs).where(t.jobs.c.job_id == job_id)).mappings().first()
    return dict(row) if row else None


def status_counts(conn: Connection, *, since: datetime) -> dict[str, int]:
    """Jobs last changed since `since`, by status (every status present, 0 if none)."""
    jobs = t.jobs
    rows = conn.execute(
        select(jobs.c.status, func.count()).where(_recent(since)).group_by(jobs.c.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def jobs_by_hour(conn: Connection, *, since: datetime) -> list[dict[str, Any]]:
    """Jobs last changed since `since`, by hour, workflow_slug (or kind) and status."""
    jobs = t.jobs
    hour = func.date_trunc("hour", jobs.c.updated_at, "UTC").label("hour")  # UTC hours
    workflow = func.coalesce(jobs.c.workflow_slug, jobs.c.kind).label("workflow")
    query = (
        select(hour, workflow, jobs.c.status, func.count().label("jobs"))
        .where(_recent(since))
        .group_by(hour, workflow, jobs.c.status)
        .order_by(hour, workflow)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def stage_latencies(conn: Connection, *, since: datetime) -> list[dict[str, Any]]:
    """p50/p95/max seconds of stage attempts that finished since `since`, per stage.

    `ops.job_stages` keeps the latest attempt of each stage of each job.
    """
    jobs, stages = t.jobs, t.job_stages
    seconds = cast(func.extract("epoch", stages.c.finished_at - stages.c.started_at), Float)
    query = (
        select(
            stages.c.stage,
            func.min(stages.c.seq).label("seq"),
            func.count().label("attempts"),
            func.percentile_cont(0.5).within_group(seconds).label("p50"),
            func.percentile_cont(0.95).within_group(seconds).label("p95"),
            func.max(seconds).label("max"),
        )
        .select_from(jobs.join(stages, stages.c.job_id == jobs.c.job_id))
        .where(_recent(since), stages.c.finished_at >= since, stages.c.status != "running")
        .group_by(stages.c.stage)
        .order_by(literal_column("seq"), stages.c.stage)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def recent_jobs(conn: Connection, *, since: datetime, limit: int) -> list[dict[str, Any]]:
    """The jobs that changed most recently (newest first), without their history."""
    jobs = t.jobs
    query = (
        select(
            jobs.c.job_id,
            jobs.c.kind,
            jobs.c.status,
            jobs.c.stage,
            jobs.c.workflow_slug,
            jobs.c.error,
            jobs.c.updated_at,
        )
        .where(_recent(since))
        .order_by(jobs.c.updated_at.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
