"""SQL for `ops`: job status, stage history, dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, DateTime, Text, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert

from pipeline import errorgroups
from pipeline import tables as t

#: Statuses after which a job does not change unless it is replayed.
FINAL = ("succeeded", "dead")


#: Every stage attempt starts here, in one round trip: the job row (created by its first
#: stage), the stage row and the event. These two statements run for every message, so they
#: are SQL constants: nothing to build or cache-key per call (4× cheaper than the Core
#: constructs), and psycopg prepares them server-side after a few runs.
START_STAGE = text(
    """
    WITH job AS (
        INSERT INTO ops.jobs (job_id, kind, status, stage, workflow_slug)
        VALUES (:job_id, :kind, 'running', :stage, :workflow_slug)
        ON CONFLICT (job_id) DO UPDATE SET
            status = 'running', stage = EXCLUDED.stage, error = NULL,
            workflow_slug = COALESCE(ops.jobs.workflow_slug, EXCLUDED.workflow_slug),
            updated_at = now()
    ), stage AS (
        INSERT INTO ops.job_stages (job_id, stage, seq, status, attempts, started_at)
        VALUES (:job_id, :stage, :seq, 'running', :attempt, now())
        ON CONFLICT (job_id, stage) DO UPDATE SET
            status = 'running', attempts = EXCLUDED.attempts, started_at = now(),
            finished_at = NULL, next_attempt_at = NULL
    )
    INSERT INTO ops.job_events (job_id, stage, event, detail)
    VALUES (:job_id, :stage, 'started', :detail)
    """
)

#: How an attempt ended, in one round trip. A stage hands on before its own success is
#: recorded, so the next stage may have started (or even finished the job) already: while
#: the job is still running, only the job's current stage moves it.
FINISH_STAGE = text(
    """
    WITH stage AS (
        UPDATE ops.job_stages SET
            status = :status, error = :error, finished_at = now(),
            next_attempt_at = :next_attempt_at
        WHERE job_id = :job_id AND stage = :stage
    ), job AS (
        UPDATE ops.jobs SET
            status = :job_status, stage = :stage, error = :error, updated_at = now(),
            finished_at = CASE WHEN :final THEN now() END,
            result = COALESCE(CAST(:result AS jsonb), result)
        WHERE job_id = :job_id AND (:job_status <> 'running' OR stage = :stage)
    )
    INSERT INTO ops.job_events (job_id, stage, event, detail)
    VALUES (:job_id, :stage, :status, :detail)
    """
).bindparams(
    bindparam("error", type_=Text),
    bindparam("next_attempt_at", type_=DateTime(timezone=True)),
    bindparam("job_status", type_=Text),
    bindparam("final", type_=Boolean),
    bindparam("result", type_=Text),
    bindparam("detail", type_=Text),
)


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
    conn.execute(
        START_STAGE,
        {
            "job_id": job_id,
            "kind": kind,
            "stage": stage,
            "seq": seq,
            "attempt": attempt,
            "workflow_slug": workflow_slug,
            "detail": f"attempt {attempt}",
        },
    )


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
    detail = error if next_attempt_at is None else f"{error} (next attempt {next_attempt_at})"
    conn.execute(
        FINISH_STAGE,
        {
            "job_id": job_id,
            "stage": stage,
            "status": status,
            "job_status": job_status,
            "final": job_status in FINAL,
            "error": error,
            "next_attempt_at": next_attempt_at,
            "result": orjson.dumps(dict(result)).decode() if result is not None else None,
            "detail": detail,
        },
    )


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
    cause = errorgroups.fingerprint(
        workflow_slug=letter.get("workflow_slug"), stage=letter["stage"], error=letter["error"]
    )
    stmt = (
        insert(table)
        .values(
            **letter,
            error_class=cause.error_class,
            error_pattern=cause.pattern,
            error_group=cause.group,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(table.c.id)
    )
    return conn.execute(stmt).scalar_one_or_none()
