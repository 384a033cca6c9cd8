"""Raw layer: person payloads kept exactly as received, many per statement."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, RowMapping, any_, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from pipeline import jsoncodec
from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.store.jsonrows import insert_from_json, json_params


def insert_person_payloads(conn: Connection, *, payloads: Sequence[Mapping[str, Any]]) -> list[int]:
    """Keep payloads exactly as received (each a mapping of `job_id`, `linkedin_url`,
    `workflow_slug`, `raw_payload`); returns their ids in order. A job stored before, or
    twice in the list, keeps its first row and id, as one call per payload would.

    One statement whatever the count; rows go in job-id order, so two batches that share
    a redelivered job take its unique-index lock in one order and cannot deadlock.
    """
    rows: dict[str, dict[str, Any]] = {}
    for p in payloads:
        row = {**p, "raw_text": jsoncodec.exact_text(p["raw_payload"])}
        rows.setdefault(_job_key(p["job_id"]), row)
    if not rows:
        return []
    found = conn.execute(_INSERT_PAYLOADS, json_params({"rows": [rows[k] for k in sorted(rows)]}))
    ids = {_job_key(job_id): int(raw_id) for raw_id, job_id in found}
    return [ids[_job_key(p["job_id"])] for p in payloads]


def insert_person_payload(
    conn: Connection,
    *,
    job_id: str,
    linkedin_url: str | None,
    workflow_slug: str,
    raw_payload: Mapping[str, Any] | list[Any],
) -> int:
    """`insert_person_payloads` for one payload (tests and scripts that store one)."""
    payload = {
        "job_id": job_id,
        "linkedin_url": linkedin_url,
        "workflow_slug": workflow_slug,
        "raw_payload": raw_payload,
    }
    return insert_person_payloads(conn, payloads=[payload])[0]


def _job_key(job_id: Any) -> str:
    """A job id as PostgreSQL returns a uuid (lower case, dashed); other text as it is (the
    statement then rejects it, for the caller to find one item at a time)."""
    try:
        return str(uuid.UUID(str(job_id)))
    except ValueError:
        return str(job_id)


_INSERT_PAYLOADS = (
    insert_from_json(t.person_payloads, "rows", order_by=["job_id"])
    .on_conflict_do_update(
        index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
    )
    .returning(t.person_payloads.c.id, t.person_payloads.c.job_id)
)


def load_person_payloads(conn: Connection, *, raw_ids: Sequence[int]) -> dict[int, RowMapping]:
    """The raw rows a stage works from, by id; an id that is gone is simply absent."""
    if not raw_ids:
        return {}
    found = conn.execute(_LOAD_PAYLOADS, {"raw_ids": sorted(set(raw_ids))})
    return {int(row.id): row._mapping for row in found}


def load_person_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """One raw row; `MissingRecordError` if it is gone."""
    row = load_person_payloads(conn, raw_ids=[raw_id]).get(raw_id)
    if row is None:
        raise missing_payload(raw_id)
    return row


def missing_payload(raw_id: int) -> MissingRecordError:
    """The error a step reports for a raw id that has no row."""
    return MissingRecordError(f"raw.person_payloads id={raw_id} does not exist")


_LOAD_PAYLOADS = select(t.person_payloads).where(
    t.person_payloads.c.id == any_(bindparam("raw_ids", type_=ARRAY(BigInteger)))
)
