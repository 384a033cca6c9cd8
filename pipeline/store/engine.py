"""Engine construction and the small conversions every writer shares."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine, RowMapping, create_engine

from pipeline import jsoncodec
from schemas.records import PartialDate


def make_engine(
    url: str,
    *,
    pool_size: int = 8,
    application_name: str = "hq-ingest",
    pre_ping: bool = True,
    synchronous_commit: bool = True,
) -> Engine:
    """An engine on psycopg 3 with a bounded pool.

    `pre_ping` tests each connection as it leaves the pool (a round trip per checkout) so a
    database restart costs no request an error. Workers turn it off: a stage that meets a
    dead connection fails, SQLAlchemy drops the whole pool on that disconnect, and the
    stage's retry (or Tracking's own write retry) runs on fresh connections.
    `synchronous_commit=False`: commits do not wait for the WAL flush (status records that
    a later durable commit supersedes; see `workers.middleware.Tracking`).
    """
    options = {"application_name": application_name, "connect_timeout": 5}
    if not synchronous_commit:
        options["options"] = "-c synchronous_commit=off"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
        connect_args=options,
        json_serializer=jsoncodec.dumps_text,
        json_deserializer=jsoncodec.loads,
    )


def date_columns(prefix: str, value: PartialDate | None) -> dict[str, Any]:
    """`start` → {"start_date": …, "start_precision": …}, for a partial date column pair."""
    return {
        f"{prefix}_date": value.value if value else None,
        f"{prefix}_precision": value.precision if value else None,
    }


def partial_date(row: RowMapping | Mapping[str, Any], prefix: str) -> PartialDate | None:
    """Read a partial date back from its column pair."""
    value: date | None = row[f"{prefix}_date"]
    if value is None:
        return None
    return PartialDate(value=value, precision=row[f"{prefix}_precision"] or "unknown")
