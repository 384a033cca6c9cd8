"""SQL for `reference`: job-title and location lookups, the workflow registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t
from pipeline.reference import WorkflowInfo


def find_job_title(conn: Connection, *, title_key: str) -> RowMapping | None:
    """The lookup row for a normalised title key, if there is one."""
    table = t.job_title_lookup
    row = conn.execute(select(table).where(table.c.title_key == title_key)).first()
    return row._mapping if row else None


def find_location(conn: Connection, *, location_key: str) -> RowMapping | None:
    """The lookup row for a normalised location key, if there is one."""
    table = t.location_lookup
    row = conn.execute(select(table).where(table.c.location_key == location_key)).first()
    return row._mapping if row else None


def upsert_job_title(
    conn: Connection, *, title_key: str, latest_title: str, fields: Mapping[str, Any]
) -> RowMapping:
    """Insert or update a title; only the fields given change, the rest keep their values."""
    table = t.job_title_lookup
    stmt = insert(table).values(title_key=title_key, latest_title=latest_title, **fields)
    upsert = stmt.on_conflict_do_update(
        index_elements=["title_key"],
        set_={"latest_title": latest_title, **fields, "updated_at": func.now()},
    ).returning(table)
    return conn.execute(upsert).one()._mapping


def upsert_location(
    conn: Connection, *, location_key: str, location_name: str, fields: Mapping[str, Any]
) -> RowMapping:
    """Insert or update a location; only the fields given change, the rest keep their values."""
    table = t.location_lookup
    stmt = insert(table).values(location_key=location_key, location_name=location_name, **fields)
    upsert = stmt.on_conflict_do_update(
        index_elements=["location_key"],
        set_={"location_name": location_name, **fields, "updated_at": func.now()},
    ).returning(table)
    return conn.execute(upsert).one()._mapping


def register_workflow(conn: Connection, *, info: WorkflowInfo) -> bool:
    """Record a slug seen in traffic; a new one is flagged for review. True if it was new."""
    table = t.enrichment_workflow_registry
    stmt = (
        insert(table)
        .values(**info.model_dump(), needs_review=True)
        .on_conflict_do_nothing(index_elements=["workflow_slug"])
        .returning(table.c.workflow_slug)
    )
    return conn.execute(stmt).first() is not None
