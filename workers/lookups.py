"""Actors for the reference tables: lookups, updates and backfills.

Lookups share the fast-polled `lookups` queue, keep their answer in the result backend
(`store_results=True`), where the gateway waits for it; the same returned answer completes
their job (`Tracking` records it), so `GET /jobs/{id}` shows it after a timeout. The other
actors here hand their job's result to `current_run().complete`.
`update_reference` writes one reference row, brings people already matched on that key up
to date in the same transaction, then re-syncs the people still unmatched on it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, RowMapping

from pipeline import lookups
from pipeline.reference import lookup_key
from pipeline.store import people, reference
from schemas.reference_api import (
    JobTitleLookup,
    JobTitleUpdate,
    LocationLookup,
    LocationUpdate,
    TickerItem,
)
from workers import names, stages
from workers.broker import get_engine
from workers.declare import actor
from workers.middleware import current_run
from workers.stages import PERMANENT

#: How many re-sync job ids an update's result lists (the count is always complete).
LISTED_RESYNC_JOBS = 100

#: Backfills run set-based SQL over whole tables; give them longer than a stage.
BACKFILL_TIME_LIMIT_MS = 30 * 60 * 1000


#: What both lookup actors share: the result kept for the gateway (their queue: `names`);
#: no running marker for an answer of a few milliseconds, and a callback only if the
#: request's body named one (`Tracking`, `Callbacks`): two Redis round trips less a lookup.
_LOOKUP_OPTIONS: dict[str, Any] = {
    "store_results": True,
    "throws": PERMANENT,
    "stage_seq": 1,
    "mark_running": False,
    "callback_in_body": True,
}


@actor(names.LOOKUP_JOB_TITLE, **_LOOKUP_OPTIONS)
def lookup_job_title(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a job-title lookup from `reference.job_title_lookup`, else with a suggestion."""
    text = JobTitleLookup.model_validate(body).job_title
    return _look_up(text, reference.find_job_title, lookups.title_answer)


@actor(names.LOOKUP_LOCATION, **_LOOKUP_OPTIONS)
def lookup_location(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a location lookup from `reference.location_lookup`, else with a suggestion."""
    text = LocationLookup.model_validate(body).location_name
    return _look_up(text, reference.find_location, lookups.location_answer)


def _look_up(
    text: str,
    find: Callable[[Connection, str], RowMapping | None],
    answer: Callable[[str, RowMapping | None], dict[str, Any]],
) -> dict[str, Any]:
    """One indexed read (autocommit: a single round trip), then the answer for `text`."""
    key = lookup_key(text)
    row = None
    if key:
        with reference.single_reads(get_engine()).connect() as conn:
            row = find(conn, key)
    return answer(text, row)


@actor(names.UPDATE_REFERENCE, throws=PERMANENT, stage_seq=1)
def update_reference(job_id: str, body: dict[str, Any]) -> None:
    """Apply a job-title or location update (`body = {"kind", "update"}`) and re-sync people."""
    if body["kind"] == "job_title":
        result = _update_title(JobTitleUpdate.model_validate(body["update"]))
    else:
        result = _update_location(LocationUpdate.model_validate(body["update"]))
    current_run().complete(result)


def _update_title(update: JobTitleUpdate) -> dict[str, Any]:
    key = lookup_key(update.latest_title)
    assert key is not None  # the body has a non-blank latest_title
    fields = {"cleaned_job_title": update.cleaned_job_title, **update.changes()}
    with get_engine().begin() as conn:
        row = reference.upsert_job_title(
            conn, title_key=key, latest_title=update.latest_title, fields=fields
        )
        refreshed = reference.refresh_matched_titles(conn, title_key=key, row=row)
        unmatched = people.people_needing_resync(conn, title_key=key)
    stored = ("latest_title", "cleaned_job_title", "seniority_level", "job_function", "status")
    return {
        "kind": "job_title",
        "title_key": key,
        "stored": {f: row[f] for f in stored},
        "changed_fields": sorted(fields),
        **_resync(refreshed, unmatched),
    }


def _update_location(update: LocationUpdate) -> dict[str, Any]:
    key = lookup_key(update.location_name)
    assert key is not None  # the body has a non-blank location_name
    fields = update.changes()
    if "country" in fields and "country_code" not in fields:
        fields["country_code"] = lookups.country_code(fields["country"])
    with get_engine().begin() as conn:
        row = reference.upsert_location(
            conn, location_key=key, location_name=update.location_name, fields=fields
        )
        refreshed = reference.refresh_matched_locations(conn, location_key=key, row=row)
        unmatched = people.people_needing_resync(conn, location_key=key)
    stored = ("location_name", "city", "state", "country", "country_code")
    return {
        "kind": "location",
        "location_key": key,
        "stored": {f: row[f] for f in stored},
        "changed_fields": sorted(fields),
        **_resync(refreshed, unmatched),
    }


def _resync(refreshed: int, linkedin_urls: list[str]) -> dict[str, Any]:
    """Send `sync_core` for each unmatched person, each as a job of its own."""
    job_ids = []
    for url in linkedin_urls:
        job_id = str(uuid.uuid4())
        stages.sync_core.send(job_id=job_id, linkedin_url=url)
        job_ids.append(job_id)
    return {
        "people_refreshed": refreshed,
        "people_resynced": len(job_ids),
        "resync_job_ids": job_ids[:LISTED_RESYNC_JOBS],
    }


@actor(names.BACKFILL_JOB_TITLES, throws=PERMANENT, stage_seq=1, time_limit=BACKFILL_TIME_LIMIT_MS)
def backfill_job_titles(job_id: str, body: dict[str, Any]) -> None:
    """Fill reference titles from PDL title data, then re-match people's titles; one commit."""
    started = time.monotonic()
    with get_engine().begin() as conn:
        counts = reference.backfill_job_titles(conn)
        counts["people_rematched"] = reference.rematch_people_titles(conn)
    current_run().complete({**counts, "seconds": round(time.monotonic() - started, 3)})


@actor(
    names.BACKFILL_PUBLIC_TICKERS,
    throws=PERMANENT,
    stage_seq=1,
    time_limit=BACKFILL_TIME_LIMIT_MS,
)
def backfill_public_tickers(job_id: str, body: dict[str, Any]) -> None:
    """Set tickers by domain; domains no company has are kept unlinked and reported."""
    items = [TickerItem.model_validate(item) for item in body["items"]]
    tickers = {item.domain: item.ticker for item in items}  # a repeated domain: last wins
    with get_engine().begin() as conn:
        known = reference.upsert_tickers(conn, tickers=tickers)
    current_run().complete(
        {
            "received": len(items),
            "domains": len(known),
            "updated": sum(known.values()),
            "unknown_domains": sorted(d for d, ok in known.items() if not ok),
        }
    )
