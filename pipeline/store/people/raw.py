"""Raw layer: person payloads kept exactly as received."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import insert

from pipeline import jsoncodec
from pipeline import tables as t
from pipeline.errors import MissingRecordError


def insert_person_payload(
    conn: Connection,
    *,
    job_id: str,
    linkedin_url: str | None,
    workflow_slug: str,
    raw_payload: Mapping[str, Any] | list[Any],
) -> int:
    """Keep a payload exactly as received; a second call for the same job returns the same id."""
    values = {
        "job_id": job_id,
        "linkedin_url": linkedin_url,
        "workflow_slug": workflow_slug,
        "raw_payload": raw_payload,
        "raw_text": jsoncodec.exact_text(raw_payload),
    }
    return int(conn.execute(_INSERT_PAYLOAD, values).scalar_one())


_INSERT_PAYLOAD = (
    insert(t.person_payloads)
    .on_conflict_do_update(
        index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
    )
    .returning(t.person_payloads.c.id)
)


def load_person_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """The raw row a stage works from; `MissingRecordError` if it is gone."""
    row = conn.execute(_LOAD_PAYLOAD, {"raw_id": raw_id}).first()
    if row is None:
        raise MissingRecordError(f"raw.person_payloads id={raw_id} does not exist")
    return row._mapping


_LOAD_PAYLOAD = select(t.person_payloads).where(t.person_payloads.c.id == bindparam("raw_id"))
