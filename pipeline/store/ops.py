"""SQL for `ops`: job status, stage history, dead letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, Text, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert

from pipeline import errorgroups
from pipeline import tables as t

#: Statuses after which a job does not change unless it is replayed.
FINAL = ("succeeded", "dead")


#: How attempts of stages ended, in one round trip however many there are: for each, the
#: job row (created by the first attempt recorded), the stage row and the history event.
#: `:rows` is a JSON array of attempts (`_row`); one attempt is the size-1 case. A stage
#: that succeeds runs it inside its own transaction, so its rows and its status commit
#: together (a micro-batch records every item's attempt in its one transaction); a failed
#: attempt's record commits on its own (the stage's transaction rolled back). Nothing is
#: written when an attempt starts: "running" lives in Redis while the message is in flight
#: (`workers.middleware.Tracking`).
#:
#: A record that does not end the job never moves a final job (only a replay, which sets
#: it `queued`, reopens one), and moves a job only if no later stage of it started after
#: this attempt did: a stage recorded after it handed on (an actor that leaves its record
#: to Tracking) must not turn the job back. The final-status check reads the row as
#: committed (ON CONFLICT waits for its lock), so it also holds when the later stage's
#: record commits while this one runs, which the `job_stages` check, reading this
#: statement's snapshot, cannot see (a tracked job was left `running` that way).
#:
#: A job may appear only once per statement (ON CONFLICT cannot touch a row twice):
#: `record_attempts` splits repeats into successive statements, in order.
#:
#: `:lazy` makes the record's own (autocommit) transaction commit without waiting for the
#: WAL flush (`synchronous_commit` off for that transaction only). Only for the success
#: of a stage that handed on and wrote nothing else: the next stage's durable commit makes
#: it durable too (WAL is flushed in order), and a PostgreSQL crash can only lose it while
#: the next stage is still in flight, which then runs again.
RECORD_ATTEMPTS = text("""
    WITH r AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
            ord int, job_id uuid, kind text, stage text, seq int, attempt int,
            started_at timestamptz, workflow_slug text, status text, job_status text,
            final boolean, error text, next_attempt_at timestamptz, result jsonb, detail text)
    ), job AS (
        INSERT INTO ops.jobs AS j (job_id, kind, status, stage, workflow_slug, error, result,
                                   finished_at)
        SELECT job_id, kind, job_status, stage, workflow_slug, error, result,
               CASE WHEN final THEN now() END
        FROM r
        ON CONFLICT (job_id) DO UPDATE SET
            status = EXCLUDED.status, stage = EXCLUDED.stage, error = EXCLUDED.error,
            workflow_slug = COALESCE(j.workflow_slug, EXCLUDED.workflow_slug),
            updated_at = now(), finished_at = EXCLUDED.finished_at,
            result = COALESCE(EXCLUDED.result, j.result)
        WHERE EXISTS (
            SELECT 1 FROM r
            WHERE r.job_id = EXCLUDED.job_id AND (r.final OR (
                j.status NOT IN ('succeeded', 'dead') AND NOT EXISTS (
                    SELECT 1 FROM ops.job_stages later
                    WHERE later.job_id = r.job_id AND later.seq > r.seq
                      AND later.started_at > r.started_at
                )
            ))
        )
    ), stage AS (
        INSERT INTO ops.job_stages AS s (job_id, stage, seq, status, attempts, started_at,
                                         finished_at, next_attempt_at, error)
        SELECT job_id, stage, seq, status, attempt, started_at, clock_timestamp(),
               next_attempt_at, error
        FROM r
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
    SELECT r.job_id, r.stage, r.status, r.detail
    FROM r, (SELECT CASE WHEN :lazy THEN set_config('synchronous_commit', 'off', true) END) AS d
    ORDER BY r.ord
""").bindparams(bindparam("rows", type_=Text), bindparam("lazy", type_=Boolean))


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


@dataclass(frozen=True)
class Outcome:
    """How `attempt` ended (`status`) and what the whole job is now (`job_status`)."""

    attempt: Attempt
    status: str
    job_status: str
    error: str | None = None
    next_attempt_at: datetime | None = None
    result: Mapping[str, Any] | None = None


def record_attempts(conn: Connection, outcomes: Sequence[Outcome], *, lazy: bool = False) -> None:
    """Record many attempts' outcomes in one statement (`RECORD_ATTEMPTS`), in order.

    A job named again (redelivered copies in one batch) goes in a following statement, so
    its records apply in order as if recorded one by one. `lazy`: see `RECORD_ATTEMPTS`
    (only for non-final successes on an autocommit connection).
    """
    pending = list(enumerate(outcomes))
    while pending:
        seen: set[str] = set()
        now: list[tuple[int, Outcome]] = []
        later: list[tuple[int, Outcome]] = []
        for item in pending:
            job_id = item[1].attempt.job_id
            (later if job_id in seen else now).append(item)
            seen.add(job_id)
        rows = orjson.dumps([_row(ord_, outcome) for ord_, outcome in now]).decode()
        conn.execute(RECORD_ATTEMPTS, {"rows": rows, "lazy": lazy})
        pending = later


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
    """Record how one `attempt` ended: `record_attempts` with one outcome."""
    outcome = Outcome(attempt, status, job_status, error, next_attempt_at, result)
    record_attempts(conn, [outcome], lazy=lazy)


def _row(ord_: int, outcome: Outcome) -> dict[str, Any]:
    """One attempt as a `RECORD_ATTEMPTS` row."""
    attempt, error, next_at = outcome.attempt, outcome.error, outcome.next_attempt_at
    if error is None:
        detail = f"attempt {attempt.attempt}"
    elif next_at is None:
        detail = error
    else:
        detail = f"{error} (next attempt {next_at})"
    return {
        "ord": ord_,
        "job_id": attempt.job_id,
        "kind": attempt.kind,
        "stage": attempt.stage,
        "seq": attempt.seq,
        "attempt": attempt.attempt,
        "started_at": attempt.started_at,
        "workflow_slug": attempt.workflow_slug,
        "status": outcome.status,
        "job_status": outcome.job_status,
        "final": outcome.job_status in FINAL,
        "error": error,
        "next_attempt_at": next_at,
        "result": dict(outcome.result) if outcome.result is not None else None,
        "detail": detail,
    }


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
