"""Dashboard sign-in sessions: an opaque token in the cookie, its hash in `ops.dashboard_sessions`.

Signing in with an admin key opens a session: a random 256-bit token goes into an HttpOnly,
SameSite=Strict cookie and only its SHA-256 is stored, with the key it was opened with and
an expiry. The key itself is never in the cookie, so a stolen cookie is not an API key, and
the session is accepted only by the dashboard's own pages and actions (`gateway.security`
never reads the cookie elsewhere). A session ends when it expires, when its user signs out,
or when its key is revoked (`keys revoke`); one opened with `HQ_ADMIN_API_KEY` ends when
that setting changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth import Principal, hash_key
from gateway.errors import ApiError
from pipeline.store import sessions

#: The dashboard's sign-in cookie: an opaque session token.
SESSION_COOKIE = "hq_session"

#: How long a sign-in lasts.
SESSION_MAX_AGE_S = 12 * 3600

#: Longest token considered (generated ones have 43 characters).
_MAX_TOKEN_CHARS = 128


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Opens, finds and closes dashboard sessions (blocking: call from a thread)."""

    def __init__(self, *, engine: Engine | None, admin_key: str | None) -> None:
        self.engine = engine
        self._admin_digest = hash_key(admin_key) if admin_key else None

    def open(self, principal: Principal, *, key: str) -> str:
        """A new session for an admin who just signed in with `key`; its token."""
        if not principal.is_admin or self.engine is None:
            raise ApiError(403, "the dashboard needs an admin key")
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=SESSION_MAX_AGE_S)
        with self.engine.begin() as conn:
            sessions.forget_expired(conn)
            sessions.open_session(
                conn,
                session_hash=_digest(token),
                key_id=principal.key_id,
                key_hash=hash_key(key),
                name=principal.name,
                expires_at=expires,
            )
        return token

    def find(self, token: str | None) -> Principal | None:
        """The admin behind a session token, or None if it is not a live session."""
        if not token or len(token) > _MAX_TOKEN_CHARS or self.engine is None:
            return None
        try:
            with self.engine.connect() as conn:
                row = sessions.find_active(conn, session_hash=_digest(token))
        except SQLAlchemyError:
            raise ApiError(503, "cannot check the sign-in right now; retry") from None
        if row is None:
            return None
        if row["key_id"] is None and not self._is_admin_key(row["key_hash"]):
            return None  # opened with an HQ_ADMIN_API_KEY that has since changed
        return Principal(key_id=row["key_id"], name=row["name"], is_admin=True, client_domain=None)

    def close(self, token: str | None) -> None:
        """End a session (signing out); nothing happens for an unknown token."""
        if not token or len(token) > _MAX_TOKEN_CHARS or self.engine is None:
            return
        with self.engine.begin() as conn:
            sessions.close(conn, session_hash=_digest(token))

    def _is_admin_key(self, key_hash: str) -> bool:
        return self._admin_digest is not None and hmac.compare_digest(key_hash, self._admin_digest)
