"""SQL for the workflow mechanism: raw bodies, their extraction state, and registry slugs.

`SINKS` maps each kind of fact (`pipeline.workflows.facts.Facts` fields) to the writer that
applies it; a workflow that brings a new kind of fact adds its sink here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    bindparam,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from pipeline import jsoncodec
from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.store import companies, persons, signals
from pipeline.workflows.facts import Facts

Sink = Callable[..., dict[str, Any]]

#: Writer of each kind of fact: `(conn, *, facts, source, raw_id, received_at) -> summary`,
#: in this order (people resolve the companies they work at; signals name both).
SINKS: dict[str, Sink] = {
    "companies": companies.apply,
    "people": persons.apply,
    "signals": signals.apply,
}


def apply(
    conn: Connection, *, facts: Facts, source: str, raw_id: int, received_at: datetime
) -> dict[str, Any]:
    """Apply every kind of fact a payload holds; returns each sink's summary, merged."""
    summary: dict[str, Any] = {"flags": []}
    for kind, sink in SINKS.items():
        if getattr(facts, kind, None):
            result = sink(conn, facts=facts, source=source, raw_id=raw_id, received_at=received_at)
            summary["flags"] += result.pop("flags", [])
            summary |= result
    return summary


# --- raw bodies ---------------------------------------------------------------------------

_INSERT = (
    insert(t.workflow_payloads)
    .on_conflict_do_update(
        index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
    )
    .returning(t.workflow_payloads.c.id)
)


def insert_payload(
    conn: Connection,
    *,
    job_id: str,
    workflow_slug: str,
    definition: str | None,
    natural_key: str | None,
    raw_payload: Mapping[str, Any],
) -> int:
    """Keep a body exactly as received; the same job gets the same row (a retried stage)."""
    values = {
        "job_id": job_id,
        "workflow_slug": workflow_slug,
        "definition": definition,
        "natural_key": natural_key,
        "raw_payload": raw_payload,
        "raw_text": jsoncodec.exact_text(raw_payload),
    }
    return int(conn.execute(_INSERT, values).scalar_one())


_LOAD = select(t.workflow_payloads).where(t.workflow_payloads.c.id == bindparam("raw_id"))


def load_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """The raw row a stage works from; `MissingRecordError` if it is gone."""
    row = conn.execute(_LOAD, {"raw_id": raw_id}).first()
    if row is None:
        raise MissingRecordError(f"raw.workflow_payloads id={raw_id} does not exist")
    return row._mapping


def mark_extracted(
    conn: Connection,
    *,
    raw_id: int,
    facts: Mapping[str, Any] | None,
    flags: Sequence[str] = (),
    definition: str | None = None,
) -> None:
    """Record what the extractor made of a body (None: nothing; it stays raw only), and
    the definition that extracted it when it was first stored without one."""
    table = t.workflow_payloads
    values: dict[str, Any] = {"extracted": facts is not None, "facts": facts}
    if definition is not None:
        values["definition"] = definition
    conn.execute(update(table).where(table.c.id == raw_id).values(**values))
    add_flags(conn, raw_id=raw_id, flags=flags)


def add_flags(conn: Connection, *, raw_id: int, flags: Sequence[str]) -> None:
    """Flag a stored body (e.g. `linkedin_url_conflict`: a value kept raw, not applied)."""
    if flags:
        conn.execute(_ADD_FLAGS, {"raw_id": raw_id, "flags": sorted(set(flags))})


_ADD_FLAGS = text(
    """
    UPDATE raw.workflow_payloads
    SET flags = ARRAY(
        SELECT DISTINCT f FROM unnest(flags || CAST(:flags AS text[])) AS f ORDER BY f)
    WHERE id = :raw_id
    """
)


# --- the registry -----------------------------------------------------------------------

_REGISTRY = t.enrichment_workflow_registry


def slug_entry(conn: Connection, *, workflow_slug: str) -> RowMapping | None:
    """A slug's registry row (definition, priority, is_active), or None if unregistered."""
    row = conn.execute(select(_REGISTRY).where(_REGISTRY.c.workflow_slug == workflow_slug)).first()
    return row._mapping if row else None


def ensure_slug(conn: Connection, *, row: Mapping[str, Any]) -> RowMapping:
    """Register a definition's own slug on first use; a row already there keeps its values
    (an admin may have deactivated it or changed its priority), gaining only the definition
    and priority it lacked."""
    stmt = insert(_REGISTRY).values(**row)
    upsert = stmt.on_conflict_do_update(
        index_elements=["workflow_slug"],
        set_={
            "definition": func.coalesce(_REGISTRY.c.definition, stmt.excluded.definition),
            "priority": func.coalesce(_REGISTRY.c.priority, stmt.excluded.priority),
        },
    ).returning(_REGISTRY)
    return conn.execute(upsert).one()._mapping


def registered_definition(conn: Connection, *, workflow_slug: str) -> str | None:
    """The definition an active registered slug names now, or None."""
    stmt = select(_REGISTRY.c.definition).where(
        _REGISTRY.c.workflow_slug == workflow_slug, _REGISTRY.c.is_active.is_(True)
    )
    found = conn.execute(stmt).scalar()
    return str(found) if found else None


def active_slugs(conn: Connection, *, definition: str) -> list[str]:
    """The active slugs registered onto a definition, sorted."""
    stmt = (
        select(_REGISTRY.c.workflow_slug)
        .where(_REGISTRY.c.definition == definition, _REGISTRY.c.is_active.is_(True))
        .order_by(_REGISTRY.c.workflow_slug)
    )
    return list(conn.execute(stmt).scalars())
