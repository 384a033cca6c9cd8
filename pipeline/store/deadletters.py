"""SQL for the dead-letter store: list, inspect, and the bookkeeping of a replay.

Rows are written by the workers' Tracking middleware (`ops.insert_dead_letter`); this module
reads them for operators and records replays. See `workers.replay` for how a replay sends
its message without losing it or sending it twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t
from pipeline.store import ops, subjects
from schemas.ops_api import DeadLetterFilter

_letters = t.dead_letters

#: The columns a list shows; `load_letter` returns every column.
SUMMARY = (
    _letters.c.id,
    _letters.c.job_id,
    _letters.c.stage,
    _letters.c.error,
    _letters.c.attempts,
    _letters.c.dead_at,
    _letters.c.replayed_at,
    _letters.c.reason,
    _letters.c.workflow_slug,
    _letters.c.replay_count,
)


def _conditions(where: DeadLetterFilter) -> list[ColumnElement[bool]]:
    c = _letters.c
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (c.stage, where.stage),
        (c.workflow_slug, where.workflow_slug),
        (c.reason, where.reason),
        (c.job_id, str(where.job_id) if where.job_id else None),
        (c.error_group, where.group),
    ):
        if value is not None:
            conditions.append(column == value)
    if where.error:
        pattern = where.error.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(c.error.ilike(f"%{pattern}%", escape="\\"))
    if where.since is not None:
        conditions.append(c.dead_at >= where.since)
    if where.until is not None:
        conditions.append(c.dead_at < where.until)
    if where.replayed is not None:
        conditions.append(c.replayed_at.is_not(None) if where.replayed else c.replayed_at.is_(None))
    if where.ids is not None:
        conditions.append(c.id.in_(where.ids))
    return conditions + subjects.about(c.job_id, where)


def list_letters(
    conn: Connection, *, where: DeadLetterFilter, limit: int, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A page of matching letters, newest first, starting below `before_id` if given."""
    stmt = select(*SUMMARY).where(*_conditions(where)).order_by(_letters.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(_letters.c.id < before_id)
    return [dict(row) for row in conn.execute(stmt).mappings()]


def count_letters(conn: Connection, *, where: DeadLetterFilter) -> int:
    """How many letters match, whatever the page."""
    stmt = select(func.count()).select_from(_letters).where(*_conditions(where))
    return int(conn.execute(stmt).scalar_one())


def matching_ids(conn: Connection, *, where: DeadLetterFilter, limit: int) -> list[int]:
    """Ids of matching letters, oldest first (the order a bulk replay sends them in)."""
    stmt = select(_letters.c.id).where(*_conditions(where)).order_by(_letters.c.id).limit(limit)
    return list(conn.execute(stmt).scalars())


def groups(conn: Connection, *, where: DeadLetterFilter, limit: int) -> list[dict[str, Any]]:
    """Matching letters by cause (`error_group`), largest group first.

    Each row: the group's workflow, stage, error class and normalised message, its count,
    first and last `dead_at`, and the job and error of its newest letter. The group id is a
    hash of workflow, stage, class and message, so grouping on it alone is enough; the names
    are read from the newest letter.
    """
    c = _letters.c
    summary = (
        select(
            c.error_group.label("group"),
            func.count().label("count"),
            func.min(c.dead_at).label("first_seen"),
            func.max(c.dead_at).label("last_seen"),
            func.max(c.id).label("newest_id"),
        )
        .where(*_conditions(where))
        .group_by(c.error_group)
        .order_by(func.count().desc(), func.max(c.dead_at).desc())
        .limit(limit)
        .subquery()
    )
    sample = _letters.alias("sample")
    stmt = select(
        summary,
        sample.c.workflow_slug,
        sample.c.stage,
        func.coalesce(sample.c.error_class, "").label("error_class"),
        func.coalesce(sample.c.error_pattern, sample.c.error).label("message"),
        sample.c.job_id.label("sample_job_id"),
        sample.c.error.label("sample_error"),
    ).where(sample.c.id == summary.c.newest_id)
    rows = [dict(row) for row in conn.execute(stmt).mappings()]
    return sorted(rows, key=lambda r: (-r["count"], -r["last_seen"].timestamp()))


def load_letter(conn: Connection, *, letter_id: int) -> dict[str, Any] | None:
    """Every column of one letter, or None."""
    row = conn.execute(select(_letters).where(_letters.c.id == letter_id)).mappings().first()
    return dict(row) if row is not None else None


def job_workflow_slug(conn: Connection, *, job_id: str) -> str | None:
    """The workflow_slug a job was accepted with (later stages' messages do not carry it)."""
    stmt = select(t.jobs.c.workflow_slug).where(t.jobs.c.job_id == job_id)
    return conn.execute(stmt).scalar_one_or_none()


def replay_state(conn: Connection, *, letter_id: int, lock: bool) -> dict[str, Any] | None:
    """A letter with its job's status and the job's latest letter id, for deciding a replay.

    With `lock`, the letter and the job are locked until the transaction ends, so concurrent
    replays of one job queue up and each sees what the one before it committed.
    """
    stmt = select(_letters).where(_letters.c.id == letter_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).mappings().first()
    if row is None:
        return None
    job = select(t.jobs.c.status).where(t.jobs.c.job_id == row["job_id"])
    latest = select(func.max(_letters.c.id)).where(_letters.c.job_id == row["job_id"])
    return {
        **row,
        "job_status": conn.execute(job.with_for_update() if lock else job).scalar_one_or_none(),
        "latest_letter_id": conn.execute(latest).scalar_one(),
    }


def mark_replayed(conn: Connection, *, letter: dict[str, Any], kind: str, message_id: str) -> int:
    """Record a replay: the letter's count and time, the job back to `queued`, an event.

    Returns the replay's number (1 for the first replay of this letter).
    """
    number = conn.execute(
        update(_letters)
        .where(_letters.c.id == letter["id"])
        .values(replayed_at=func.now(), replay_count=_letters.c.replay_count + 1)
        .returning(_letters.c.replay_count)
    ).scalar_one()
    _requeue_job(conn, job_id=letter["job_id"], stage=letter["stage"], kind=kind)
    detail = f"dead letter {letter['id']}, replay {number}, message {message_id}"
    ops.record_event(
        conn, job_id=letter["job_id"], stage=letter["stage"], event="replayed", detail=detail
    )
    return int(number)


def _requeue_job(conn: Connection, *, job_id: str, stage: str, kind: str) -> None:
    jobs = t.jobs
    reset = {"status": "queued", "stage": stage, "error": None, "finished_at": None}
    stmt = insert(jobs).values(job_id=job_id, kind=kind, replays=1, **reset)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["job_id"],
            set_={**reset, "result": None, "replays": jobs.c.replays + 1, "updated_at": func.now()},
        )
    )
    stages = t.job_stages
    conn.execute(
        update(stages)
        .where(stages.c.job_id == job_id, stages.c.stage == stage)
        .values(status="queued", error=None, finished_at=None, next_attempt_at=None)
    )


def replay_committed(conn: Connection, *, letter_id: int, number: int) -> bool:
    """Whether replay `number` of a letter committed; waits while that replay is in flight."""
    stmt = (
        select(_letters.c.replay_count).where(_letters.c.id == letter_id).with_for_update(read=True)
    )
    count = conn.execute(stmt).scalar_one_or_none()
    return count is not None and count >= number
