"""SQL for `ops`: job status, stage history, dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, DateTime, Text, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert

from pipeline import errorgroups
from pipeline import tables as t

#: Statuses after which a job does not change unless it is replayed.
FINAL = ("succeeded", "dead")


#: How one attempt of one stage ended, in one round trip: the job row (created by the
#: first attempt recorded), the stage row and the history event. A stage that succeeds runs
#: it inside its own transaction, so its rows and its status commit together; a failed
#: attempt's record commits on its own (the stage's transaction rolled back). Nothing is
#: written when an attempt starts: "running" lives in Redis while the message is in flight
#: (`workers.middleware.Tracking`).
#:
#: While a job is not final, a record only moves the job if no later stage of it started
#: after this attempt did: a stage recorded after it handed on (an actor that leaves its
#: record to Tracking) must not turn the job back.
#:
#: `:lazy` makes the record's own (autocommit) transaction commit without waiting for the
#: WAL flush (`synchronous_commit` off for that transaction only). Only for the success
#: of a stage that handed on and wrote nothing else: the next stage's durable commit makes
#: it durable too (WAL is flushed in order), and a PostgreSQL crash can only lose it while
#: the next stage is still in flight, which then runs again.
RECORD_ATTEMPT = text("""
    WITH job AS (
        INSERT INTO ops.jobs AS j (job_id, kind, status, stage, workflow_slug, error, result,
                                   finished_at)
        VALUES (:job_id, :kind, :job_status, :stage, :workflow_slug, :error,
                CAST(:result AS jsonb), CASE WHEN :final THEN now() END)
        ON CONFLICT (job_id) DO UPDATE SET
            status = EXCLUDED.status, stage = EXCLUDED.stage, error = EXCLUDED.error,
            workflow_slug = COALESCE(j.workflow_slug, EXCLUDED.workflow_slug),
            updated_at = now(), finished_at = EXCLUDED.finished_at,
            result = COALESCE(EXCLUDED.result, j.result)
        WHERE :final OR NOT EXISTS (
            SELECT 1 FROM ops.job_stages later
            WHERE later.job_id = :job_id AND later.seq > :seq AND later.started_at > :started_at
        )
    ), stage AS (
        INSERT INTO ops.job_stages AS s (job_id, stage, seq, status, attempts, started_at,
                                         finished_at, next_attempt_at, error)
        VALUES (:job_id, :stage, :seq, :status, :attempt, :started_at, clock_timestamp(),
                :next_attempt_at, :error)
        ON CONFLICT (job_id, stage) DO UPDATE SET
            status = EXCLUDED.status, attempts = EXCLUDED.attempts,
            started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
            next_attempt_at = EXCLUDED.next_attempt_at, error = EXCLUDED.error
        -- Redelivered copies of a stage can run side by side and commit in any order: the
        -- row keeps the attempt that started last, so a running marker (which names the
        -- attempt that started it) is always covered once every copy is recorded.
        WHERE s.started_at IS NULL OR EXCLUDED.started_at >= s.started_at
    )
    INSERT INTO ops.job_events (job_id, stage, event, detail)
    SELECT :job_id, :stage, :status, :detail
    FROM (SELECT CASE WHEN :lazy THEN set_config('synchronous_commit', 'off', true) END) AS d
""").bindparams(
    bindparam("error", type_=Text),
    bindparam("next_attempt_at", type_=DateTime(timezone=True)),
    bindparam("started_at", type_=DateTime(timezone=True)),
    bindparam("job_status", type_=Text),
    bindparam("final", type_=Boolean),
    bindparam("lazy", type_=Boolean),
    bindparam("result", type_=Text),
    bindparam("detail", type_=Text),
)


@dataclass(frozen=True)
class Attempt:
    """One attempt of one stage of one job: what its record names."""

    job_id: str
    kind: str
    stage: str
    seq: int
    attempt: int
    started_at: datetime
    workflow_slug: str | None = None


def record_attempt(
    conn: Connection,
    attempt: Attempt,
    *,
    status: str,
    job_status: str,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    result: Mapping[str, Any] | None = None,
    lazy: bool = False,
) -> None:
    """Record how `attempt` ended (`status`) and what the whole job is now (`job_status`).

    `lazy`: see `RECORD_ATTEMPT` (only for a non-final success on an autocommit
    connection).
    """
    if error is None:
        detail = f"attempt {attempt.attempt}"
    elif next_attempt_at is None:
        detail = error
    else:
        detail = f"{error} (next attempt {next_attempt_at})"
    conn.execute(
        RECORD_ATTEMPT,
        {
            "job_id": attempt.job_id,
            "kind": attempt.kind,
            "stage": attempt.stage,
            "seq": attempt.seq,
            "attempt": attempt.attempt,
            "started_at": attempt.started_at,
            "workflow_slug": attempt.workflow_slug,
            "status": status,
            "job_status": job_status,
            "final": job_status in FINAL,
            "error": error,
            "next_attempt_at": next_attempt_at,
            "result": orjson.dumps(dict(result)).decode() if result is not None else None,
            "detail": detail,
            "lazy": lazy,
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
