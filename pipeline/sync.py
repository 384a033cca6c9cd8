"""The `sync_core` stage's work: write derived `CoreRecord`s and resolve titles and locations.

Titles and locations resolve through the reference tables first (`matched`); on a miss the
built-in classifier fills the fields so `core` is useful at once, and `matched` stays false
so that a later reference update re-syncs the person. The lookups and writes are set-based
(a constant number of statements for any number of people); resolving each person's
values from what was found runs per person, in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, RowMapping

from pipeline import locations, titles
from pipeline.reference import lookup_key
from pipeline.store import people, reference
from schemas.records import CoreRecord, LocationMatch, ProfileRecord, TitleMatch


@dataclass(frozen=True)
class ToSync:
    """A person to sync: the profile, its derived core record and the ids of its companies
    (from `companies.upsert_identified`, committed before; see there)."""

    profile: ProfileRecord
    core: CoreRecord
    company_ids: Mapping[str, int]


def sync_people(conn: Connection, items: Sequence[ToSync]) -> list[dict[str, Any]]:
    """Upsert each person and every core child table; returns each item's counts, in order.

    Items naming one person apply as one after another would: each rewrites all of the
    person's rows, so only the last is written (its summary is every item's person id).
    """
    found_locations = reference.find_locations(conn, (_location_key(i.profile) for i in items))
    found_titles = reference.find_job_titles(
        conn, (lookup_key(current_title(i.core)) for i in items)
    )
    rows = [_rows(i, found_locations, found_titles) for i in items]
    last = {item.profile.linkedin_url: row for item, row in zip(items, rows, strict=True)}
    ids = people.write_people(conn, people=list(last.values()))
    return [
        _summary(ids[item.profile.linkedin_url], row) for item, row in zip(items, rows, strict=True)
    ]


def sync_person(
    conn: Connection, *, profile: ProfileRecord, core: CoreRecord, company_ids: Mapping[str, int]
) -> dict[str, Any]:
    """`sync_people` for one person (the workflows' `persons.refresh`)."""
    return sync_people(conn, [ToSync(profile, core, company_ids)])[0]


def _summary(person_id: int, row: people.PersonRows) -> dict[str, Any]:
    core = row.core
    return {
        "person_id": person_id,
        "companies": len(core.companies),
        "work_history": len(core.work_history),
        "past_employers": len(core.past_employers),
        "promotions": len(core.promotions),
        "location_matched": row.location["matched"],
        "job_title_matched": row.job_title["matched"],
    }


def _rows(
    item: ToSync,
    found_locations: Mapping[str, RowMapping],
    found_titles: Mapping[str, RowMapping],
) -> people.PersonRows:
    return people.PersonRows(
        profile=item.profile,
        core=item.core,
        company_ids=item.company_ids,
        location=_location(item.profile, found_locations),
        job_title=_title(item.core, found_titles),
    )


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


def _location_key(profile: ProfileRecord) -> str | None:
    return lookup_key(location_name(profile))


def _location(profile: ProfileRecord, found: Mapping[str, RowMapping]) -> dict[str, Any]:
    """The person's `core.person_locations` values: the reference row's, else the
    provider's structured fields or the classifier's guess (`matched` false)."""
    name = location_name(profile)
    key = lookup_key(name)
    row = found.get(key) if key else None
    if row is not None:
        match = _stored(LocationMatch, row)
    else:
        match = _provider_location(profile) or locations.classify_location(name)
    values = {"location_name": name, "location_key": key, "matched": row is not None}
    return values | match.model_dump()


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


def _title(core: CoreRecord, found: Mapping[str, RowMapping]) -> dict[str, Any]:
    """The person's `core.person_job_titles` values: the reference row's, else the
    classifier's (`matched` false)."""
    title = current_title(core)
    key = lookup_key(title)
    row = found.get(key) if key else None
    match = _stored(TitleMatch, row) if row is not None else titles.classify_title(title)
    values = {"latest_title": title, "title_key": key, "matched": row is not None}
    return values | match.model_dump()
