"""De-duplication keys for the gateway's accepts (`workers.transport.Enqueuer` writes them)."""

from __future__ import annotations

import hashlib


def content_key(route: str, body: bytes, *, scope: str) -> str:
    """A de-duplication key from the exact request: same route, key scope and body bytes."""
    digest = hashlib.sha256()
    for part in (route.encode(), b"\0", scope.encode(), b"\0", body):
        digest.update(part)
    return "sha256:" + digest.hexdigest()


def fingerprint(body: bytes) -> str:
    """What a request reusing an `Idempotency-Key` must repeat: its exact body bytes."""
    return hashlib.sha256(body).hexdigest()


def idempotency_key(route: str, header: str, *, scope: str) -> str:
    """A de-duplication key from the client's `Idempotency-Key` header."""
    return "idem:" + hashlib.sha256(f"{route}\0{scope}\0{header}".encode()).hexdigest()
