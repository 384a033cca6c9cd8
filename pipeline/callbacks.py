"""Write-back to Clay, the pure part: what is sent, where it may go, how an answer is read.

A request may name a `callback_url` (a Clay table's webhook) and a `callback_token` (sent as
`x-clay-webhook-auth`). When its job reaches a final state the job's outcome is POSTed
there; each step is kept in the job's history as a `deliver_callback` event, and
`summary()` turns those events into the `callback` entry of `GET /jobs/{id}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import urlsplit

#: The stage name callback events are recorded under.
STAGE = "deliver_callback"

#: Name of the header Clay's webhook sources read their auth token from (a name, no secret).
AUTH_HEADER_NAME = "x-clay-webhook-auth"

#: Event names, in the order a delivery can produce them.
QUEUED, RETRYING, DELIVERED, FAILED = (
    "callback_queued",
    "callback_retrying",
    "callback_delivered",
    "callback_failed",
)

#: HTTP answers worth another try: timeouts, conflicts, rate limits.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})

Outcome = Literal["delivered", "retry", "give_up"]


def host_of(url: str) -> str:
    """The lower-cased host of `url` ('' if it has none); shown instead of the whole URL."""
    return (urlsplit(url).hostname or "").lower()


def host_allowed(url: str, patterns: str) -> bool:
    """Whether `url` is http(s) to a host matching one of the comma-separated `patterns`.

    `*.clay.com` matches `clay.com` and any subdomain; `*` matches every host.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    for pattern in (p.strip().lower() for p in patterns.split(",")):
        if pattern == "*" or host == pattern or fnmatchcase(host, pattern):
            return True
        if pattern.startswith("*.") and host == pattern[2:]:
            return True
    return False


def payload(job: Mapping[str, Any], *, linkedin_url: str | None) -> dict[str, Any]:
    """The JSON body POSTed to the callback: one row for the Clay table."""
    result = job.get("result") or None
    finished = job.get("finished_at")
    return {
        "job_id": str(job["job_id"]),
        "status": job["status"],
        "kind": job.get("kind"),
        "workflow_slug": job.get("workflow_slug"),
        "linkedin_url": (result or {}).get("linkedin_url") or linkedin_url,
        "stage": job.get("stage"),
        "error": job.get("error") if job["status"] != "succeeded" else None,
        "result": result,
        "finished_at": finished.isoformat() if isinstance(finished, datetime) else finished,
    }


def outcome(status_code: int) -> Outcome:
    """What an HTTP answer means for the delivery: done, try again later, or give up."""
    if 200 <= status_code < 300:
        return "delivered"
    if status_code >= 500 or status_code in RETRYABLE_CLIENT_ERRORS:
        return "retry"
    return "give_up"


def summary(events: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The latest delivery's state from a job's history, or None if it never had one.

    `status` is pending (queued, not tried yet), retrying, delivered or failed; `attempts`
    counts tries since the delivery was queued (a replayed job queues a new delivery);
    `last_error` is the latest failed try.
    """
    state: dict[str, Any] | None = None
    for event in events:
        if event.get("stage") != STAGE:
            continue
        name, detail = event.get("event"), event.get("detail")
        if name == QUEUED:
            state = {"status": "pending", "attempts": 0, "last_error": None}
            continue
        if state is None or name not in (RETRYING, DELIVERED, FAILED):
            continue
        state["attempts"] += 1
        state["status"] = {RETRYING: "retrying", DELIVERED: "delivered", FAILED: "failed"}[name]
        state["last_attempt_at"] = event.get("at")
        if name != DELIVERED:
            state["last_error"] = detail
    return state
