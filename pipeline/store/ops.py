"""SQL for `ops`: job status, stage history, dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t

#: Statuses after which a job does not change unless it is replayed.
FINAL = ("succeeded", "dead")


def start_stage(
    conn: Connection,
    *,
    job_id: str,
    kind: str,
    stage: str,
    seq: int,
    attempt: int,
    workflow_slug: str | None = None,
) -> None:
    """Mark a stage running (creating the job on its first stage) and log the attempt."""
    jobs = t.jobs
    stmt = insert(jobs).values(
        job_id=job_id, kind=kind, status="running", stage=stage, workflow_slug=workflow_slug
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["job_id"],
            set_={
                "status": "running",
                "stage": stage,
                "error": None,
                "workflow_slug": func.coalesce(jobs.c.workflow_slug, stmt.excluded.workflow_slug),
                "updated_at": func.now(),
            },
        )
    )
    stages = t.job_stages
    stmt = insert(stages).values(
        job_id=job_id,
        stage=stage,
        seq=seq,
        status="running",
        attempts=attempt,
        started_at=func.now(),
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["job_id", "stage"],
            set_={
                "status": "running",
                "attempts": attempt,
                "started_at": func.now(),
                "finished_at": None,
                "next_attempt_at": None,
            },
        )
    )
    _event(conn, job_id=job_id, stage=stage, event="started", detail=f"attempt {attempt}")


def finish_stage(
    conn: Connection,
    *,
    job_id: str,
    stage: str,
    status: str,
    job_status: str,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    result: Mapping[str, Any] | None = None,
) -> None:
    """Record how an attempt ended; `job_status` is what the whole job is now."""
    finished = func.now() if job_status in FINAL else None
    conn.execute(
        update(t.job_stages)
        .where(t.job_stages.c.job_id == job_id, t.job_stages.c.stage == stage)
        .values(status=status, error=error, finished_at=func.now(), next_attempt_at=next_attempt_at)
    )
    values: dict[str, Any] = {
        "status": job_status,
        "stage": stage,
        "error": error,
        "updated_at": func.now(),
        "finished_at": finished,
    }
    if result is not None:
        values["result"] = dict(result)
    job = update(t.jobs).where(t.jobs.c.job_id == job_id)
    if job_status == "running":
        # A stage hands on before its own success is recorded, so the next stage may have
        # started (or even finished the job) already: only the job's current stage moves it.
        job = job.where(t.jobs.c.stage == stage)
    conn.execute(job.values(**values))
    detail = error if next_attempt_at is None else f"{error} (next attempt {next_attempt_at})"
    _event(conn, job_id=job_id, stage=stage, event=status, detail=detail)


def _event(
    conn: Connection, *, job_id: str, stage: str | None, event: str, detail: str | None
) -> None:
    conn.execute(
        insert(t.job_events).values(job_id=job_id, stage=stage, event=event, detail=detail)
    )


def record_event(
    conn: Connection, *, job_id: str, stage: str | None, event: str, detail: str | None = None
) -> None:
    """Append to a job's history (replays, skips, notes)."""
    _event(conn, job_id=job_id, stage=stage, event=event, detail=detail)


def load_job(conn: Connection, *, job_id: str) -> dict[str, Any] | None:
    """A job with its stages (in chain order) and history, or None."""
    row = conn.execute(select(t.jobs).where(t.jobs.c.job_id == job_id)).first()
    if row is None:
        return None
    stages = conn.execute(
        select(t.job_stages).where(t.job_stages.c.job_id == job_id).order_by(t.job_stages.c.seq)
    ).mappings()
    events = conn.execute(
        select(t.job_events).where(t.job_events.c.job_id == job_id).order_by(t.job_events.c.id)
    ).mappings()
    dead = conn.execute(
        select(t.dead_letters.c.id)
        .where(t.dead_letters.c.job_id == job_id)
        .order_by(t.dead_letters.c.id)
    ).scalars()
    return {
        **row._mapping,
        "stages": [dict(s) for s in stages],
        "events": [dict(e) for e in events],
        "dead_letter_ids": list(dead),
    }


# --- dead letters -------------------------------------------------------------------------


def insert_dead_letter(conn: Connection, *, letter: Mapping[str, Any]) -> int | None:
    """Keep a message that will not be retried; idempotent on its message id."""
    table = t.dead_letters
    stmt = (
        insert(table)
        .values(**letter)
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(table.c.id)
    )
    return conn.execute(stmt).scalar_one_or_none()
