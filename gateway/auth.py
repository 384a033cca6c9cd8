"""API keys: who is calling, and what they may touch.

A key arrives as `Authorization: Bearer <key>` or `X-API-Key: <key>`. The bootstrap admin
key comes from `HQ_ADMIN_API_KEY`; other keys are created with `hq-ingest keys create` and
live in `ops.api_keys` only as the SHA-256 of a 256-bit random token, each either admin or
scoped to one client_domain. Keys are compared as digests in constant time and never logged
or stored in plain text. `gateway.security.Guard` authenticates every request before it
reaches any route, so a route cannot forget to: on the event loop when the admin key or a
cached verdict decides (`verify_known`), in a thread when the key table must be read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import ApiError
from pipeline.store import keys
from schemas import canonical

#: Prefix of generated keys, so a leaked key is recognisable in a secret scanner.
KEY_PREFIX = "hq_"

#: The shape of every generated key; anything else is refused without a database look-up.
KEY_FORMAT = re.compile(r"hq_[A-Za-z0-9_-]{43}")

#: How long a verified key is trusted before it is looked up again (revocation delay).
CACHE_SECONDS = 30.0

#: Most keys (valid or not) remembered per process, so random keys cannot exhaust memory.
CACHE_SIZE = 4096

#: Longest credential considered at all.
MAX_KEY_CHARS = 512

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """The caller behind a key."""

    key_id: int | None
    name: str
    is_admin: bool
    client_domain: str | None

    @property
    def rate_key(self) -> str:
        """What the rate limit counts by: the key's id (the env admin key has none)."""
        return "env-admin" if self.key_id is None else str(self.key_id)

    def require_admin(self) -> None:
        """Raise 403 unless this is an admin key."""
        if not self.is_admin:
            raise ApiError(403, "this endpoint needs an admin key")

    def require_client(self, client_domain: str | None) -> None:
        """Raise 403 unless the key may act for `client_domain` (any spelling of it)."""
        if self.is_admin:
            return
        if client_domain is None or canonical.domain(client_domain) != self.client_domain:
            raise ApiError(
                403,
                f"this key is scoped to client_domain {self.client_domain}",
                field="client_domain",
            )

    def client_scope(self, client_domain: str | None) -> str:
        """The client_domain a read acts for: the requested one, or a scoped key's own.

        Raises 403 when a scoped key asks for another client, 422 when an admin names none.
        """
        if client_domain is None and self.client_domain is not None:
            return self.client_domain
        if client_domain is None:
            raise ApiError(422, "is required with an admin key", field="client_domain")
        self.require_client(client_domain)
        return canonical.domain(client_domain) or client_domain


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
    """Verifies keys against the admin key and the key table, with a short, bounded cache."""

    def __init__(self, *, admin_key: str | None, engine: Engine | None) -> None:
        self._admin_digest = hash_key(admin_key) if admin_key else None
        self.engine = engine
        self._cache: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, key: str | None) -> Principal:
        """The principal for `key`, or 401 (503 when the key table cannot be read).

        May read the key table: call it in a thread, after `verify_known` returned None.
        """
        known = self.verify_known(key)
        if known is not None:
            return known
        assert key is not None  # verify_known refuses a missing key
        return self._verdict(self._lookup(hash_key(key)))

    def verify_known(self, key: str | None) -> Principal | None:
        """`verify` without the database, so without blocking: the principal, or 401, when
        the admin key, the key's shape or a cached verdict decides; None when only the key
        table can (then call `verify` in a thread).
        """
        if not key:
            raise ApiError(
                401,
                "missing API key (Authorization: Bearer <key> or X-API-Key)",
                headers=_CHALLENGE,
            )
        if len(key) > MAX_KEY_CHARS:
            raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
        digest = hash_key(key)
        if self._admin_digest and hmac.compare_digest(digest, self._admin_digest):
            return Principal(key_id=None, name="admin (env)", is_admin=True, client_domain=None)
        if not KEY_FORMAT.fullmatch(key):
            raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
        cached = self._cached(digest)
        return None if cached is None else self._verdict(cached[0])

    def forget(self) -> None:
        """Drop every cached verdict (a revocation then takes effect at once)."""
        with self._lock:
            self._cache.clear()

    @staticmethod
    def _verdict(principal: Principal | None) -> Principal:
        if principal is None:
            raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
        return principal

    def _cached(self, digest: str) -> tuple[Principal | None] | None:
        """The verdict on `digest` while it is fresh (a 1-tuple, as the verdict may be None)."""
        with self._lock:
            cached = self._cache.get(digest)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return (cached[1],)
        return None

    def _lookup(self, digest: str) -> Principal | None:
        cached = self._cached(digest)
        if cached is not None:
            return cached[0]
        now = time.monotonic()
        principal = None
        if self.engine is not None:
            try:
                principal = self._fetch(digest)
            except SQLAlchemyError:
                raise ApiError(503, "cannot verify the API key right now; retry") from None
        with self._lock:
            self._cache[digest] = (now, principal)
            self._cache.move_to_end(digest)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return principal

    def _fetch(self, digest: str) -> Principal | None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            row = keys.find_active(conn, key_hash=digest)
            # The look-up is by digest already; compare again in constant time regardless.
            if row is None or not hmac.compare_digest(row["key_hash"], digest):
                return None
            keys.touch(conn, key_id=row["id"])
            return Principal(
                key_id=row["id"],
                name=row["name"],
                is_admin=row["is_admin"],
                client_domain=row["client_domain"],
            )
