"""What the stores that apply a payload's facts share (`companies`, `persons`).

Each applies the identified entities of one payload one at a time (unidentified ones are
skipped), collecting what it touched and the flags it raised; each writes an entity's
observed rows as one JSON array a `jsonb_to_recordset` upsert unpacks, with the entity's
id and the rows' provenance (source, raw payload, observed at) as the other parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy import Connection, Executable


class Identifiable(Protocol):
    @property
    def identified(self) -> bool: ...


E = TypeVar("E", bound=Identifiable)

#: What applying one entity returns: the entity as the result lists it, and its flags.
Touched = tuple[dict[str, Any], list[str]]


def each_identified(
    entities: Iterable[E], touch: Callable[[E], Touched]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Apply `touch` to each identified entity in order; what they touched and their
    flags (sorted, no repeats)."""
    touched: list[dict[str, Any]] = []
    flags: list[str] = []
    for entity in entities:
        if not entity.identified:
            continue
        row, raised = touch(entity)
        touched.append(row)
        flags += raised
    return touched, sorted(set(flags))


def write_rows(
    conn: Connection, statement: Executable, params: Mapping[str, Any], rows: list[dict[str, Any]]
) -> None:
    """Run an upsert that unpacks `:rows` with these rows and the other parameters;
    nothing when there are no rows."""
    if rows:
        conn.execute(statement, {**params, "rows": orjson.dumps(rows).decode()})
