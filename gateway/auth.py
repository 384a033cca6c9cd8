"""API keys: who is calling, and what they may touch.

A key arrives as `Authorization: Bearer <key>` or `X-API-Key: <key>`. The bootstrap admin
key comes from `HQ_ADMIN_API_KEY` and is compared in constant time; other keys live hashed
(SHA-256 of a high-entropy random token) in `ops.api_keys`, optionally scoped to one
client_domain. Keys are never logged or stored in plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import ApiError
from pipeline.store import keys

#: Prefix of generated keys, so a leaked key is recognisable in a secret scanner.
KEY_PREFIX = "hq_"

#: How long a verified key is trusted before it is looked up again (revocation delay).
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Principal:
    """The caller behind a key."""

    key_id: int | None
    name: str
    is_admin: bool
    client_domain: str | None

    def require_admin(self) -> None:
        """Raise 403 unless this is an admin key."""
        if not self.is_admin:
            raise ApiError(403, "this endpoint needs an admin key")

    def require_client(self, client_domain: str | None) -> None:
        """Raise 403 unless the key may act for `client_domain`."""
        if self.is_admin:
            return
        if client_domain is None or client_domain != self.client_domain:
            raise ApiError(
                403, "this key is scoped to another client_domain", field="client_domain"
            )


def hash_key(key: str) -> str:
    """How a key is stored: its SHA-256, hex. Keys are random, so no salt is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    """A new random key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key from either header; `Bearer` is matched case-insensitively."""
    if x_api_key:
        return x_api_key.strip() or None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class Authenticator:
    """Verifies keys against the admin key and the key table, with a short cache."""

    def __init__(self, *, admin_key: str | None, engine: Engine | None) -> None:
        self.admin_key = admin_key
        self.engine = engine
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def verify(self, key: str | None) -> Principal:
        """The principal for `key`, or 401."""
        if not key:
            raise ApiError(
                401,
                "missing API key (Authorization: Bearer <key> or X-API-Key)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if self.admin_key and hmac.compare_digest(key.encode(), self.admin_key.encode()):
            return Principal(key_id=None, name="admin (env)", is_admin=True, client_domain=None)
        principal = self._lookup(hash_key(key))
        if principal is None:
            raise ApiError(
                401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"}
            )
        return principal

    def _lookup(self, digest: str) -> Principal | None:
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        principal = None
        if self.engine is not None:
            try:
                principal = self._fetch(digest)
            except SQLAlchemyError:
                raise ApiError(503, "cannot verify the API key right now; retry") from None
        self._cache[digest] = (now, principal)
        return principal

    def _fetch(self, digest: str) -> Principal | None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            row = keys.find_active(conn, key_hash=digest)
            if row is None:
                return None
            keys.touch(conn, key_id=row["id"])
            return Principal(
                key_id=row["id"],
                name=row["name"],
                is_admin=row["is_admin"],
                client_domain=row["client_domain"],
            )
