"""SQL for the person-profile chain: raw payloads, extracted profiles and core people."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.store.engine import date_columns, partial_date
from schemas.records import (
    CompanyRecord,
    CoreRecord,
    EducationRecord,
    ExperienceRecord,
    LocationMatch,
    ProfileRecord,
    TitleMatch,
)

# --- raw --------------------------------------------------------------------------------


def insert_person_payload(
    conn: Connection,
    *,
    job_id: str,
    linkedin_url: str | None,
    workflow_slug: str,
    raw_payload: Mapping[str, Any],
) -> int:
    """Keep a payload exactly as received; a second call for the same job returns the same id."""
    stmt = (
        insert(t.person_payloads)
        .values(
            job_id=job_id,
            linkedin_url=linkedin_url,
            workflow_slug=workflow_slug,
            raw_payload=raw_payload,
        )
        .on_conflict_do_update(
            index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
        )
        .returning(t.person_payloads.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def load_person_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """The raw row a stage works from; `MissingRecordError` if it is gone."""
    row = conn.execute(select(t.person_payloads).where(t.person_payloads.c.id == raw_id)).first()
    if row is None:
        raise MissingRecordError(f"raw.person_payloads id={raw_id} does not exist")
    return row._mapping


def raw_id_for_job(conn: Connection, *, job_id: str) -> int | None:
    """The raw payload a job stored, if its first stage ran."""
    stmt = select(t.person_payloads.c.id).where(t.person_payloads.c.job_id == job_id)
    return conn.execute(stmt).scalar_one_or_none()


# --- extracted ----------------------------------------------------------------------------

_PROFILE_FIELDS = (
    "slug full_name first_name last_name headline summary location_name city state country "
    "country_code connections picture_url refreshed_at shape"
).split()


def upsert_profile(
    conn: Connection, *, profile: ProfileRecord, raw_id: int, workflow_slug: str
) -> bool:
    """Upsert the extracted profile unless the stored one is newer; False means stale.

    The row lock taken here serialises every writer of one person until commit, so the
    delete+insert of child rows that follows cannot interleave with another payload's.
    """
    values = {f: getattr(profile, f) for f in _PROFILE_FIELDS}
    values |= {"raw_payload_id": raw_id, "workflow_slug": workflow_slug}
    stmt = insert(t.person_profile).values(linkedin_url=profile.linkedin_url, **values)
    current = t.person_profile.c.refreshed_at
    newer_or_unknown = (
        current.is_(None)
        | stmt.excluded.refreshed_at.is_(None)
        | (stmt.excluded.refreshed_at >= current)
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["linkedin_url"],
        set_={**{k: stmt.excluded[k] for k in values}, "extracted_at": func.now()},
        where=newer_or_unknown,
    ).returning(t.person_profile.c.linkedin_url)
    return conn.execute(upsert).first() is not None


def replace_experience(
    conn: Connection, *, linkedin_url: str, rows: Sequence[ExperienceRecord]
) -> None:
    """Make the person's experience rows exactly `rows`."""
    table = t.person_experience
    conn.execute(delete(table).where(table.c.linkedin_url == linkedin_url))
    if rows:
        conn.execute(insert(table), [_experience_values(linkedin_url, row) for row in rows])


def _experience_values(linkedin_url: str, row: ExperienceRecord) -> dict[str, Any]:
    plain = row.model_dump(exclude={"start", "end", "title_levels"})
    return {
        "linkedin_url": linkedin_url,
        **plain,
        "title_levels": list(row.title_levels),
        **date_columns("start", row.start),
        **date_columns("end", row.end),
    }


def replace_education(
    conn: Connection, *, linkedin_url: str, rows: Sequence[EducationRecord]
) -> None:
    """Make the person's education rows exactly `rows`."""
    table = t.person_education
    conn.execute(delete(table).where(table.c.linkedin_url == linkedin_url))
    if rows:
        values = [
            {
                "linkedin_url": linkedin_url,
                **row.model_dump(exclude={"start", "end"}),
                **date_columns("start", row.start),
                **date_columns("end", row.end),
            }
            for row in rows
        ]
        conn.execute(insert(table), values)


def load_profile(conn: Connection, *, linkedin_url: str) -> ProfileRecord:
    """Rebuild the extracted profile from its rows, for `sync_core`."""
    row = conn.execute(
        select(t.person_profile).where(t.person_profile.c.linkedin_url == linkedin_url)
    ).first()
    if row is None:
        raise MissingRecordError(f"extracted.person_profile {linkedin_url} does not exist")
    exp = t.person_experience
    edu = t.person_education
    experiences = conn.execute(
        select(exp).where(exp.c.linkedin_url == linkedin_url).order_by(exp.c.position)
    ).mappings()
    educations = conn.execute(
        select(edu).where(edu.c.linkedin_url == linkedin_url).order_by(edu.c.position)
    ).mappings()
    return ProfileRecord(
        linkedin_url=linkedin_url,
        **{f: row._mapping[f] for f in _PROFILE_FIELDS},
        experiences=tuple(_experience_record(r) for r in experiences),
        educations=tuple(_education_record(r) for r in educations),
    )


def _experience_record(row: RowMapping) -> ExperienceRecord:
    skip = {"linkedin_url", "start_date", "start_precision", "end_date", "end_precision"}
    plain = {k: v for k, v in row.items() if k not in skip}
    plain["title_levels"] = tuple(plain["title_levels"] or ())
    return ExperienceRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))


def _education_record(row: RowMapping) -> EducationRecord:
    skip = {"linkedin_url", "start_date", "start_precision", "end_date", "end_precision"}
    plain = {k: v for k, v in row.items() if k not in skip}
    return EducationRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))


# --- core -------------------------------------------------------------------------------


def upsert_person(conn: Connection, *, profile: ProfileRecord) -> int:
    """Upsert `core.people` from the extracted profile; returns the person id."""
    values = {
        "slug": profile.slug,
        "full_name": profile.full_name,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "headline": profile.headline,
        "source_refreshed_at": profile.refreshed_at,
    }
    stmt = insert(t.people).values(linkedin_url=profile.linkedin_url, **values)
    upsert = stmt.on_conflict_do_update(
        index_elements=["linkedin_url"],
        set_={**{k: stmt.excluded[k] for k in values}, "updated_at": func.now()},
    ).returning(t.people.c.id)
    return int(conn.execute(upsert).scalar_one())


def upsert_companies(conn: Connection, *, companies: Sequence[CompanyRecord]) -> dict[str, int]:
    """Upsert companies by key, merging aliases; returns {company_key: id}.

    Rows go in key order so that concurrent profiles sharing companies lock them in the same
    order and cannot deadlock each other.
    """
    if not companies:
        return {}
    table = t.companies
    rows = [
        {
            "company_key": c.company_key,
            "domain": c.domain,
            "name": c.name,
            "aliases": list(c.aliases),
            "linkedin_url": c.linkedin_url,
        }
        for c in sorted(companies, key=lambda c: c.company_key)
    ]
    stmt = insert(table).values(rows)
    merged: Any = literal_column(
        "ARRAY(SELECT DISTINCT a FROM unnest(core.companies.aliases || excluded.aliases "
        "|| ARRAY[excluded.name]) AS a WHERE a <> core.companies.name ORDER BY a)"
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["company_key"],
        set_={
            "aliases": merged,
            "linkedin_url": func.coalesce(table.c.linkedin_url, stmt.excluded.linkedin_url),
            "updated_at": func.now(),
        },
    ).returning(table.c.company_key, table.c.id)
    return {key: int(cid) for key, cid in conn.execute(upsert)}


def replace_core_children(
    conn: Connection, *, person_id: int, core: CoreRecord, company_ids: Mapping[str, int]
) -> None:
    """Rebuild work history, tenure, promotions and past employers for one person."""
    for table in (t.person_work_history, t.person_promotions, t.person_past_employer):
        conn.execute(delete(table).where(table.c.person_id == person_id))
    conn.execute(delete(t.person_tenure).where(t.person_tenure.c.person_id == person_id))
    _insert_many(conn, t.person_work_history, _work_history_rows(person_id, core, company_ids))
    _insert_many(conn, t.person_promotions, _promotion_rows(person_id, core, company_ids))
    _insert_many(conn, t.person_past_employer, _past_employer_rows(person_id, core, company_ids))
    if core.tenure is not None:
        tenure = core.tenure
        conn.execute(
            insert(t.person_tenure).values(
                person_id=person_id,
                company_id=company_ids.get(tenure.company_key or ""),
                company_name=tenure.company_name,
                company_domain=tenure.company_domain,
                title=tenure.title,
                **date_columns("start", tenure.start),
            )
        )


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _work_history_rows(
    person_id: int, core: CoreRecord, ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "person_id": person_id,
            "position": w.position,
            "company_id": ids.get(w.company_key or ""),
            "company_name": w.company_name,
            "company_domain": w.company_domain,
            "title": w.title,
            "is_current": w.is_current,
            **date_columns("start", w.start),
            **date_columns("end", w.end),
        }
        for w in core.work_history
    ]


def _promotion_rows(
    person_id: int, core: CoreRecord, ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "person_id": person_id,
            "position": i,
            "company_id": ids[p.company_key],
            "from_title": p.from_title,
            "to_title": p.to_title,
            **date_columns("promoted_on", p.promoted_on),
        }
        for i, p in enumerate(core.promotions)
        if p.company_key in ids
    ]


def _past_employer_rows(
    person_id: int, core: CoreRecord, ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "person_id": person_id,
            "company_id": ids[p.company_key],
            "position": i,
            "company_name": p.company_name,
            "company_domain": p.company_domain,
        }
        for i, p in enumerate(core.past_employers)
        if p.company_key in ids
    ]


def upsert_person_location(
    conn: Connection,
    *,
    person_id: int,
    location_name: str | None,
    location_key: str | None,
    match: LocationMatch,
    matched: bool,
) -> None:
    """Set the person's location; `matched` says it came from `reference.location_lookup`."""
    values = {
        "location_name": location_name,
        "location_key": location_key,
        "matched": matched,
        **match.model_dump(),
    }
    _upsert_one_per_person(conn, t.person_locations, person_id, values)


def upsert_person_job_title(
    conn: Connection,
    *,
    person_id: int,
    latest_title: str | None,
    title_key: str | None,
    match: TitleMatch,
    matched: bool,
) -> None:
    """Set the person's current title; `matched` says it came from `reference.job_title_lookup`."""
    values = {
        "latest_title": latest_title,
        "title_key": title_key,
        "matched": matched,
        **match.model_dump(),
    }
    _upsert_one_per_person(conn, t.person_job_titles, person_id, values)


def _upsert_one_per_person(
    conn: Connection, table: Table, person_id: int, values: dict[str, Any]
) -> None:
    stmt = insert(table).values(person_id=person_id, **values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["person_id"], set_={**values, "updated_at": func.now()}
        )
    )


def people_needing_resync(
    conn: Connection, *, title_key: str | None = None, location_key: str | None = None
) -> list[str]:
    """LinkedIn URLs of people whose title or location under this key is still unmatched."""
    urls: list[str] = []
    if title_key is not None:
        jt = t.person_job_titles
        urls += conn.execute(
            select(t.people.c.linkedin_url)
            .join(jt, jt.c.person_id == t.people.c.id)
            .where(jt.c.title_key == title_key, jt.c.matched.is_(False))
        ).scalars()
    if location_key is not None:
        pl = t.person_locations
        urls += conn.execute(
            select(t.people.c.linkedin_url)
            .join(pl, pl.c.person_id == t.people.c.id)
            .where(pl.c.location_key == location_key, pl.c.matched.is_(False))
        ).scalars()
    return sorted(set(urls))
