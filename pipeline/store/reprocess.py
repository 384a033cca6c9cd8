"""SQL for reprocessing stored raw payloads: select them, create their jobs, count progress.

A reprocess names payloads by a selection (`workflow_slug`, `since`/`until` on
`received_at`, a person's canonical `linkedin_url`, or all of them) over one raw table at a
time. Each payload becomes a job of its own (a child of the reprocess job,
`ops.jobs.parent_job_id`), whose id is derived from the parent's id and the payload's, so
running a batch again creates nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select, text, update

from pipeline import tables as t

#: `ops.jobs.kind` of a reprocess job (its children have their payload's own kind).
JOB_KIND = "reprocess"

#: Child-job statuses counted as done and as failed (dead-lettered; a replay may fix them).
DONE, FAILED = "succeeded", "dead"


def _conditions(table: Table, selection: Mapping[str, Any]) -> list[ColumnElement[bool]] | None:
    """The selection's filters on `table`; None when `table` cannot match it at all."""
    where: list[ColumnElement[bool]] = []
    if selection.get("workflow_slug"):
        where.append(table.c.workflow_slug == selection["workflow_slug"])
    if selection.get("since"):
        where.append(table.c.received_at >= _time(selection["since"]))
    if selection.get("until"):
        where.append(table.c.received_at < _time(selection["until"]))
    if selection.get("linkedin_url"):
        if "linkedin_url" not in table.c:
            return None
        where.append(_person(table, selection["linkedin_url"]))
    return where


def _person(table: Table, linkedin_url: str) -> ColumnElement[bool]:
    """Payloads of one person (canonical URL): sent with that URL, or whose job found it in
    the payload (any spelling was sent, or none: `ops.jobs.result` has the canonical one)."""
    jobs = t.jobs
    identified = select(jobs.c.job_id).where(jobs.c.result["linkedin_url"].astext == linkedin_url)
    return (table.c.linkedin_url == linkedin_url) | table.c.job_id.in_(identified)


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def count_payloads(conn: Connection, *, table: Table, selection: Mapping[str, Any]) -> int:
    """How many payloads of `table` the selection names."""
    where = _conditions(table, selection)
    if where is None:
        return 0
    query = select(func.count()).select_from(table).where(*where)
    return int(conn.execute(query).scalar_one())


#: The raw tables a reprocess reads, by source name (`workers.reprocess.SOURCES` pairs each
#: with the stage that extracts its rows).
SOURCE_TABLES = {"person": t.person_payloads, "workflow": t.workflow_payloads}


def count_matching(conn: Connection, selection: Mapping[str, Any]) -> int:
    """How many stored payloads, over every source, `selection` names."""
    return sum(
        count_payloads(conn, table=table, selection=selection) for table in SOURCE_TABLES.values()
    )


def child_job_id(parent_job_id: str, source: str, raw_id: int) -> str:
    """The job id of one payload's reprocess (stable: same parent and payload, same id)."""
    return str(uuid.uuid5(uuid.UUID(parent_job_id), f"{source}:{raw_id}"))


def create_batch(
    conn: Connection,
    *,
    table: Table,
    selection: Mapping[str, Any],
    after_id: int,
    limit: int,
    parent_job_id: str,
    source: str,
    kind: str,
    stage: str,
) -> list[tuple[str, int, str]]:
    """The next `limit` payloads after `after_id` (by id), each with its child job created
    (`queued`, idempotent); returns (child job id, raw id, workflow slug) in id order."""
    where = _conditions(table, selection)
    if where is None:
        return []
    query = (
        select(table.c.id, table.c.workflow_slug)
        .where(table.c.id > after_id, *where)
        .order_by(table.c.id)
        .limit(limit)
    )
    rows = conn.execute(query).all()
    if not rows:
        return []
    children = [child_job_id(parent_job_id, source, raw_id) for raw_id, _ in rows]
    values = {"ids": children, "slugs": [slug for _, slug in rows], "kind": kind, "stage": stage}
    conn.execute(_CREATE_CHILDREN, {**values, "parent": parent_job_id})
    return [(child, raw_id, slug) for child, (raw_id, slug) in zip(children, rows, strict=True)]


#: A batch's child jobs, `queued`, from two arrays: one statement whatever the batch's size
#: (a VALUES list of 500 rows costs more to build than to run).
_CREATE_CHILDREN = text("""
    INSERT INTO ops.jobs (job_id, kind, status, stage, workflow_slug, parent_job_id)
    SELECT c.job_id, :kind, 'queued', :stage, c.slug, CAST(:parent AS uuid)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:slugs AS text[])) AS c(job_id, slug)
    ON CONFLICT (job_id) DO NOTHING
""")


#: Statuses of a child job that is not finished (a failed one is waiting for its retry).
IN_FLIGHT = ("queued", "running", "failed")


def children_in_flight(conn: Connection, *, parent_job_id: str) -> int:
    """How many of a reprocess job's children are unfinished; reads only those (an index
    range on parent and status), however many have finished."""
    jobs = t.jobs
    query = select(func.count()).where(
        jobs.c.parent_job_id == parent_job_id, jobs.c.status.in_(IN_FLIGHT)
    )
    return int(conn.execute(query).scalar_one())


def child_counts(conn: Connection, *, parent_job_id: str) -> dict[str, int]:
    """A reprocess job's children so far: `done`, `failed` and `in_flight`."""
    jobs = t.jobs
    rows = conn.execute(
        select(jobs.c.status, func.count())
        .where(jobs.c.parent_job_id == parent_job_id)
        .group_by(jobs.c.status)
    ).all()
    by_status = {str(status): int(n) for status, n in rows}
    done, failed = by_status.pop(DONE, 0), by_status.pop(FAILED, 0)
    return {"done": done, "failed": failed, "in_flight": sum(by_status.values())}


def progress(conn: Connection, *, job_id: str, total: int | None) -> dict[str, int | None]:
    """What `GET /jobs/{id}` shows of a reprocess: children `done`, `failed`, and `total`."""
    counts = child_counts(conn, parent_job_id=job_id)
    return {"done": counts["done"], "failed": counts["failed"], "total": total}


def note_total(conn: Connection, *, job_id: str, total: int) -> None:
    """Keep a reprocess job's total in its result while it runs (counts come from children)."""
    conn.execute(
        update(t.jobs)
        .where(t.jobs.c.job_id == job_id)
        .values(result=func.jsonb_build_object("total", total))
    )


def existing_jobs(conn: Connection, *, job_ids: Sequence[str]) -> set[str]:
    """Which of `job_ids` are already known: a job row, or a payload stored under it (an
    import line sent again maps to the same job id)."""
    if not job_ids:
        return set()
    jobs, raw = t.jobs, t.person_payloads
    known = (
        select(jobs.c.job_id)
        .where(jobs.c.job_id.in_(job_ids))
        .union(select(raw.c.job_id).where(raw.c.job_id.in_(job_ids)))
    )
    return {str(job_id) for job_id in conn.execute(known).scalars()}
