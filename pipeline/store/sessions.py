"""SQL for `ops.dashboard_sessions`: dashboard sign-ins, kept only as hashes.

A session lives until it expires, its user signs out, or its key is revoked: `find_active`
checks all three at once (a session opened with the bootstrap admin key has no `key_id`; it
stays valid while `HQ_ADMIN_API_KEY` is the key it was opened with, which the caller checks
against `key_hash`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t

_sessions = t.dashboard_sessions
_keys = t.api_keys


def open_session(
    conn: Connection,
    *,
    session_hash: str,
    key_id: int | None,
    key_hash: str,
    name: str,
    expires_at: datetime,
) -> None:
    """Store a new session by the hash of its token (the token itself is only in the cookie)."""
    conn.execute(
        insert(_sessions).values(
            session_hash=session_hash,
            key_id=key_id,
            key_hash=key_hash,
            name=name,
            expires_at=expires_at,
        )
    )


def find_active(conn: Connection, *, session_hash: str) -> RowMapping | None:
    """The session with this hash if it has not expired, been closed or lost its key."""
    stmt = (
        select(_sessions.c.key_id, _sessions.c.key_hash, _sessions.c.name)
        .select_from(_sessions.outerjoin(_keys, _keys.c.id == _sessions.c.key_id))
        .where(
            _sessions.c.session_hash == session_hash,
            _sessions.c.revoked_at.is_(None),
            _sessions.c.expires_at > func.now(),
            (_sessions.c.key_id.is_(None)) | (_keys.c.revoked_at.is_(None) & _keys.c.is_admin),
        )
    )
    row = conn.execute(stmt).first()
    return row._mapping if row else None


def close(conn: Connection, *, session_hash: str) -> None:
    """Revoke one session (signing out)."""
    conn.execute(
        update(_sessions)
        .where(_sessions.c.session_hash == session_hash, _sessions.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def close_for_key(conn: Connection, *, key_id: int) -> int:
    """Revoke every open session of a key (when the key is revoked); how many there were."""
    result = conn.execute(
        update(_sessions)
        .where(_sessions.c.key_id == key_id, _sessions.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(result.rowcount)


def forget_expired(conn: Connection) -> int:
    """Delete sessions past their expiry or revoked; how many went."""
    result = conn.execute(
        _sessions.delete().where(
            (_sessions.c.expires_at <= func.now()) | _sessions.c.revoked_at.is_not(None)
        )
    )
    return int(result.rowcount)
