"""Statements that write many rows from one JSON array, their columns taken from `tables`.

A child table's rows travel as one JSON text parameter that PostgreSQL unpacks with
`jsonb_to_recordset` (no per-row Python binding). The column list of the INSERT and the
record definition of the unpacking are both built here from the table's metadata, so a
column added to `pipeline/tables.py` is written without anyone repeating the list by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, DefaultClause, Table, Text, bindparam, cast, column, select
from sqlalchemy import func as sql_func
from sqlalchemy.dialects.postgresql import JSONB, Insert, insert
from sqlalchemy.sql import functions
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import TableValuedAlias

from pipeline import jsoncodec


def written_columns(table: Table) -> list[Column[Any]]:
    """The columns a writer supplies: all but the timestamps the database stamps (`now()`)
    and a serial id the database numbers."""
    return [
        column
        for column in table.columns
        if not _stamped(column) and column is not table.autoincrement_column
    ]


def _stamped(col: Column[Any]) -> bool:
    default = col.server_default
    return isinstance(default, DefaultClause) and isinstance(default.arg, functions.now)


def json_records(columns: Sequence[ColumnClause[Any]], param: str) -> TableValuedAlias:
    """jsonb_to_recordset(:param) AS r(column type, ...), typed as these columns are."""
    return (
        sql_func.jsonb_to_recordset(cast(bindparam(param, type_=Text), JSONB))
        .table_valued(*(column(c.name, c.type) for c in columns))
        .render_derived(name="r", with_types=True)
    )


def insert_from_json(table: Table, param: str, *, order_by: Sequence[str] = ()) -> Insert:
    """INSERT INTO table (written columns) SELECT them FROM jsonb_to_recordset(:param).

    `order_by` names the key columns rows go in: an upsert that locks rows other
    transactions also lock must take them in one order (no deadlock between two batches).
    """
    columns = written_columns(table)
    rows = json_records(columns, param)
    chosen = select(*(rows.c[c.name] for c in columns)).order_by(*(rows.c[n] for n in order_by))
    return insert(table).from_select([c.name for c in columns], chosen)


def json_params(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each named list of rows as the JSON text its statement parameter expects."""
    return {name: jsoncodec.dumps_text(values) for name, values in rows.items()}
