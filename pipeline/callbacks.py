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

from schemas.callbacks import Target, UnsafeUrl, parse_target

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


def allowed(target: Target, patterns: str) -> bool:
    """Whether `target` matches one of the comma-separated allow-list `patterns`.

    `*.clay.com` matches `clay.com` and any subdomain; `*` matches every host. A pattern
    admits only the scheme's default port unless it names one: `host:8080`, or `host:*`
    for any port.
    """
    for pattern in (p.strip().lower() for p in patterns.split(",")):
        host_pattern, _, port_pattern = pattern.partition(":")
        if port_pattern not in ("*", str(target.port) if target.port is not None else ""):
            continue
        if _host_matches(target.host, host_pattern):
            return True
    return False


def _host_matches(host: str, pattern: str) -> bool:
    if pattern == "*" or host == pattern or fnmatchcase(host, pattern):
        return True
    return pattern.startswith("*.") and host == pattern[2:]


def host_allowed(url: str, patterns: str) -> bool:
    """Whether `url` reads strictly (`parse_target`) and its host is allowed (`allowed`)."""
    try:
        return allowed(parse_target(url), patterns)
    except UnsafeUrl:
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
