"""SQL for `ops.api_keys`: hashed keys, their scope and their use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t
from pipeline.store import sessions


def insert_key(
    conn: Connection,
    *,
    name: str,
    key_hash: str,
    prefix: str,
    is_admin: bool,
    client_domain: str | None,
) -> int:
    """Store a new key's hash; the key itself is shown once to its creator and never kept."""
    stmt = (
        insert(t.api_keys)
        .values(
            name=name,
            key_hash=key_hash,
            prefix=prefix,
            is_admin=is_admin,
            client_domain=client_domain,
        )
        .returning(t.api_keys.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def find_active(conn: Connection, *, key_hash: str) -> RowMapping | None:
    """The unrevoked key with this hash."""
    table = t.api_keys
    row = conn.execute(
        select(table).where(table.c.key_hash == key_hash, table.c.revoked_at.is_(None))
    ).first()
    return row._mapping if row else None


def touch(conn: Connection, *, key_id: int) -> None:
    """Record that a key was used (at most as often as the gateway's key cache expires)."""
    conn.execute(
        update(t.api_keys).where(t.api_keys.c.id == key_id).values(last_used_at=func.now())
    )


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key without its hash, newest first."""
    table = t.api_keys
    columns = [c for c in table.c if c.name != "key_hash"]
    rows = conn.execute(select(*columns).order_by(table.c.id.desc())).mappings()
    # Plain str keys: column names are `quoted_name`, which JSON encoders may refuse.
    return [{str(k): v for k, v in r.items()} for r in rows]


def revoke(conn: Connection, *, key_id: int) -> bool:
    """Revoke a key and its dashboard sessions; False if there is no such unrevoked key."""
    table = t.api_keys
    result = conn.execute(
        update(table)
        .where(table.c.id == key_id, table.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(table.c.id)
    )
    revoked = result.first() is not None
    if revoked:
        sessions.close_for_key(conn, key_id=key_id)
    return revoked
