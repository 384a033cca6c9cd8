"""The `sync_core` stage's work: write a derived `CoreRecord` and resolve title and location.

Titles and locations resolve through the reference tables first (`matched`); on a miss the
built-in classifier fills the fields so `core` is useful at once, and `matched` stays false
so that a later reference update re-syncs the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, RowMapping

from pipeline import locations, titles
from pipeline.reference import lookup_key
from pipeline.store import people, reference
from schemas.records import CoreRecord, LocationMatch, ProfileRecord, TitleMatch


def sync_person(
    conn: Connection, *, profile: ProfileRecord, core: CoreRecord, company_ids: Mapping[str, int]
) -> dict[str, Any]:
    """Upsert the person and every core child table; returns counts for the job.

    `company_ids` comes from `companies.upsert_identified`, committed before (see there).
    """
    person_id = people.upsert_person(conn, profile=profile)
    people.replace_core_children(conn, person_id=person_id, core=core, company_ids=company_ids)
    location_matched = _sync_location(conn, person_id, profile)
    title_matched = _sync_title(conn, person_id, core)
    return {
        "person_id": person_id,
        "companies": len(core.companies),
        "work_history": len(core.work_history),
        "past_employers": len(core.past_employers),
        "promotions": len(core.promotions),
        "location_matched": location_matched,
        "job_title_matched": title_matched,
    }


Match = TypeVar("Match", LocationMatch, TitleMatch)


def _stored(model: type[Match], row: RowMapping) -> Match:
    """The match a reference row holds (its columns are named as the model's fields)."""
    return model(**{field: row[field] for field in model.model_fields})


def location_name(profile: ProfileRecord) -> str | None:
    """The free-text location the person gives, or one built from structured parts."""
    if profile.location_name:
        return profile.location_name
    parts = [p for p in (profile.city, profile.state, profile.country) if p]
    return ", ".join(parts) or None


def _sync_location(conn: Connection, person_id: int, profile: ProfileRecord) -> bool:
    name = location_name(profile)
    key = lookup_key(name)
    row = reference.find_location(conn, location_key=key) if key else None
    if row is not None:
        match = _stored(LocationMatch, row)
    else:
        match = _provider_location(profile) or locations.classify_location(name)
    people.upsert_person_location(
        conn,
        person_id=person_id,
        location_name=name,
        location_key=key,
        match=match,
        matched=row is not None,
    )
    return row is not None


def _provider_location(profile: ProfileRecord) -> LocationMatch | None:
    """Structured fields the provider sent (Proxycurl, PDL), completed by the classifier."""
    if not (profile.city or profile.state or profile.country):
        return None
    guess = locations.classify_location(location_name(profile))
    return LocationMatch(
        city=profile.city or guess.city,
        state=profile.state or guess.state,
        country=profile.country or guess.country,
        country_code=profile.country_code or guess.country_code,
    )


def current_title(core: CoreRecord) -> str | None:
    """The title the person holds now: the latest current job's, else the first current."""
    if core.tenure is not None and core.tenure.title:
        return core.tenure.title
    return core.current_titles[0] if core.current_titles else None


def _sync_title(conn: Connection, person_id: int, core: CoreRecord) -> bool:
    title = current_title(core)
    key = lookup_key(title)
    row = reference.find_job_title(conn, title_key=key) if key else None
    match = _stored(TitleMatch, row) if row is not None else titles.classify_title(title)
    people.upsert_person_job_title(
        conn,
        person_id=person_id,
        latest_title=title,
        title_key=key,
        match=match,
        matched=row is not None,
    )
    return row is not None
