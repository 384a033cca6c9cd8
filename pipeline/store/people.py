"""SQL for the person-profile chain: raw payloads, extracted profiles and core people.

Every statement a profile passes through is built once, here, and executed with a dict of
values (one, or a list for many rows). Building a statement per call, with its values
inside, cost more client CPU than PostgreSQL spent running it; a prebuilt one is compiled
once per process and only bound afterwards. Deletes that clear a person's child rows run
as one statement each (data-modifying CTEs), so a stage makes as few round trips as it can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert

from pipeline import jsoncodec
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
    raw_payload: Mapping[str, Any] | list[Any],
) -> int:
    """Keep a payload exactly as received; a second call for the same job returns the same id."""
    values = {
        "job_id": job_id,
        "linkedin_url": linkedin_url,
        "workflow_slug": workflow_slug,
        "raw_payload": raw_payload,
    }
    return int(conn.execute(_INSERT_PAYLOAD, values).scalar_one())


_INSERT_PAYLOAD = (
    insert(t.person_payloads)
    .on_conflict_do_update(
        index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
    )
    .returning(t.person_payloads.c.id)
)


def load_person_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """The raw row a stage works from; `MissingRecordError` if it is gone."""
    row = conn.execute(_LOAD_PAYLOAD, {"raw_id": raw_id}).first()
    if row is None:
        raise MissingRecordError(f"raw.person_payloads id={raw_id} does not exist")
    return row._mapping


_LOAD_PAYLOAD = select(t.person_payloads).where(t.person_payloads.c.id == bindparam("raw_id"))


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
    values |= {
        "linkedin_url": profile.linkedin_url,
        "raw_payload_id": raw_id,
        "workflow_slug": workflow_slug,
    }
    return conn.execute(_UPSERT_PROFILE, values).first() is not None


def _upsert_profile_statement() -> Any:
    stmt = insert(t.person_profile)
    current = t.person_profile.c.refreshed_at
    newer_or_unknown = (
        current.is_(None)
        | stmt.excluded.refreshed_at.is_(None)
        | (stmt.excluded.refreshed_at >= current)
    )
    columns = [*_PROFILE_FIELDS, "raw_payload_id", "workflow_slug"]
    return stmt.on_conflict_do_update(
        index_elements=["linkedin_url"],
        set_={**{k: stmt.excluded[k] for k in columns}, "extracted_at": func.now()},
        where=newer_or_unknown,
    ).returning(t.person_profile.c.linkedin_url)


_UPSERT_PROFILE = _upsert_profile_statement()

#: Both child tables of an extracted profile, cleared in one round trip.
_CLEAR_EXTRACTED_CHILDREN = text(
    """
    WITH experience AS (
        DELETE FROM extracted.person_experience WHERE linkedin_url = :linkedin_url
    )
    DELETE FROM extracted.person_education WHERE linkedin_url = :linkedin_url
    """
)


def replace_children(
    conn: Connection,
    *,
    linkedin_url: str,
    experiences: Sequence[ExperienceRecord],
    educations: Sequence[EducationRecord],
) -> None:
    """Make the person's experience and education rows exactly these (two round trips)."""
    conn.execute(_CLEAR_EXTRACTED_CHILDREN, {"linkedin_url": linkedin_url})
    if experiences or educations:
        rows = {
            "experiences": [_experience_values(linkedin_url, r) for r in experiences],
            "educations": [_education_values(linkedin_url, r) for r in educations],
        }
        conn.execute(_INSERT_EXTRACTED_CHILDREN, _json_params(rows))


#: Both child tables of an extracted profile, filled in one round trip from JSON arrays of
#: rows (PostgreSQL unpacks them with the tables' own row types: no per-row Python binding).
_INSERT_EXTRACTED_CHILDREN = text(
    """
    WITH experience AS (
        INSERT INTO extracted.person_experience (
            linkedin_url, position, title, company_name, company_domain, company_key,
            company_linkedin_url, location, start_date, start_precision, end_date,
            end_precision, is_current, title_levels, title_role, title_sub_role)
        SELECT
            linkedin_url, position, title, company_name, company_domain, company_key,
            company_linkedin_url, location, start_date, start_precision, end_date,
            end_precision, is_current, title_levels, title_role, title_sub_role
        FROM jsonb_populate_recordset(
            NULL::extracted.person_experience, CAST(:experiences AS jsonb))
    )
    INSERT INTO extracted.person_education (
        linkedin_url, position, school_name, degree, field_of_study, start_date,
        start_precision, end_date, end_precision)
    SELECT
        linkedin_url, position, school_name, degree, field_of_study, start_date,
        start_precision, end_date, end_precision
    FROM jsonb_populate_recordset(NULL::extracted.person_education, CAST(:educations AS jsonb))
    """
)


def _json_params(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {name: jsoncodec.dumps_text(values) for name, values in rows.items()}


def _experience_values(linkedin_url: str, row: ExperienceRecord) -> dict[str, Any]:
    plain = row.model_dump(exclude={"start", "end", "title_levels"})
    return {
        "linkedin_url": linkedin_url,
        **plain,
        "title_levels": list(row.title_levels),
        **date_columns("start", row.start),
        **date_columns("end", row.end),
    }


def _education_values(linkedin_url: str, row: EducationRecord) -> dict[str, Any]:
    return {
        "linkedin_url": linkedin_url,
        **row.model_dump(exclude={"start", "end"}),
        **date_columns("start", row.start),
        **date_columns("end", row.end),
    }


def load_profile(conn: Connection, *, linkedin_url: str) -> ProfileRecord:
    """Rebuild the extracted profile from its rows, for `sync_core`."""
    key = {"linkedin_url": linkedin_url}
    row = conn.execute(_LOAD_PROFILE, key).first()
    if row is None:
        raise MissingRecordError(f"extracted.person_profile {linkedin_url} does not exist")
    experiences = conn.execute(_LOAD_EXPERIENCE, key).mappings()
    educations = conn.execute(_LOAD_EDUCATION, key).mappings()
    return ProfileRecord(
        linkedin_url=linkedin_url,
        **{f: row._mapping[f] for f in _PROFILE_FIELDS},
        experiences=tuple(_experience_record(r) for r in experiences),
        educations=tuple(_education_record(r) for r in educations),
    )


def _by_person_url(table: Table, *, ordered: bool = True) -> Any:
    stmt = select(table).where(table.c.linkedin_url == bindparam("linkedin_url"))
    return stmt.order_by(table.c.position) if ordered else stmt


_LOAD_PROFILE = _by_person_url(t.person_profile, ordered=False)
_LOAD_EXPERIENCE = _by_person_url(t.person_experience)
_LOAD_EDUCATION = _by_person_url(t.person_education)


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
        "linkedin_url": profile.linkedin_url,
        "slug": profile.slug,
        "full_name": profile.full_name,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "headline": profile.headline,
        "source_refreshed_at": profile.refreshed_at,
    }
    return int(conn.execute(_UPSERT_PERSON, values).scalar_one())


def _upsert_person_statement() -> Any:
    stmt = insert(t.people)
    columns = ["slug", "full_name", "first_name", "last_name", "headline", "source_refreshed_at"]
    return stmt.on_conflict_do_update(
        index_elements=["linkedin_url"],
        set_={**{k: stmt.excluded[k] for k in columns}, "updated_at": func.now()},
    ).returning(t.people.c.id)


_UPSERT_PERSON = _upsert_person_statement()


def upsert_companies(conn: Connection, *, companies: Sequence[CompanyRecord]) -> dict[str, int]:
    """Upsert companies by key, merging aliases; returns {company_key: id}.

    Many people share a company, so its row is hot: it is only locked and written when the
    profile adds something (a new alias or name, a missing LinkedIn URL), and callers
    should commit soon after (`workers.stages.sync_core` does so in a transaction of its
    own), so one person's sync never waits on another's. Rows go in key order so that
    concurrent profiles sharing companies lock them in the same order and cannot deadlock.
    """
    if not companies:
        return {}
    rows = [
        {
            "company_key": c.company_key,
            "domain": c.domain,
            "name": c.name,
            "aliases": list(c.aliases),
            "linkedin_url": c.linkedin_url,
        }
        for c in companies
    ]
    result = conn.execute(_UPSERT_COMPANIES, _json_params({"rows": rows}))
    ids = {key: int(cid) for key, cid in result}
    if missing := sorted({c.company_key for c in companies} - ids.keys()):
        # Inserted by a concurrent transaction after this statement's snapshot was taken.
        found = conn.execute(_COMPANY_IDS, {"keys": missing})
        ids |= {key: int(cid) for key, cid in found}
    return ids


#: Insert new companies and merge what is new into known ones; returns every row's id (the
#: unchanged ones are read from the statement's snapshot).
_UPSERT_COMPANIES = text(
    """
    WITH incoming AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r (
            company_key text, domain text, name text, aliases text[], linkedin_url text)
    ), changed AS (
        INSERT INTO core.companies AS c (company_key, domain, name, aliases, linkedin_url)
        SELECT company_key, domain, name, aliases, linkedin_url
        FROM incoming AS i
        WHERE NOT EXISTS (  -- a known company with nothing new is not even locked
            SELECT FROM core.companies AS k
            WHERE k.company_key = i.company_key
                AND (i.aliases || ARRAY[i.name]) <@ (k.aliases || ARRAY[k.name])
                AND (k.linkedin_url IS NOT NULL OR i.linkedin_url IS NULL))
        ORDER BY company_key
        ON CONFLICT (company_key) DO UPDATE SET
            aliases = ARRAY(
                SELECT DISTINCT a FROM unnest(c.aliases || excluded.aliases || ARRAY[excluded.name])
                AS a WHERE a <> c.name ORDER BY a),
            linkedin_url = COALESCE(c.linkedin_url, excluded.linkedin_url),
            updated_at = now()
        WHERE NOT (excluded.aliases || ARRAY[excluded.name]) <@ (c.aliases || ARRAY[c.name])
            OR (c.linkedin_url IS NULL AND excluded.linkedin_url IS NOT NULL)
        RETURNING c.company_key, c.id
    )
    SELECT company_key, id FROM changed
    UNION ALL
    SELECT c.company_key, c.id FROM core.companies AS c JOIN incoming USING (company_key)
    WHERE c.company_key NOT IN (SELECT company_key FROM changed)
    """
)

_COMPANY_IDS = select(t.companies.c.company_key, t.companies.c.id).where(
    t.companies.c.company_key.in_(bindparam("keys", expanding=True))
)

#: Every core child row of one person, cleared in one round trip.
_CLEAR_CORE_CHILDREN = text(
    """
    WITH work AS (DELETE FROM core.person_work_history WHERE person_id = :person_id),
    promotions AS (DELETE FROM core.person_promotions WHERE person_id = :person_id),
    past AS (DELETE FROM core.person_past_employer WHERE person_id = :person_id)
    DELETE FROM core.person_tenure WHERE person_id = :person_id
    """
)


def replace_core_children(
    conn: Connection, *, person_id: int, core: CoreRecord, company_ids: Mapping[str, int]
) -> None:
    """Rebuild work history, tenure, promotions and past employers for one person."""
    conn.execute(_CLEAR_CORE_CHILDREN, {"person_id": person_id})
    rows = {
        "work": _work_history_rows(person_id, core, company_ids),
        "promotions": _promotion_rows(person_id, core, company_ids),
        "past": _past_employer_rows(person_id, core, company_ids),
        "tenure": _tenure_rows(person_id, core, company_ids),
    }
    if any(rows.values()):
        conn.execute(_INSERT_CORE_CHILDREN, _json_params(rows))


#: Every core child table of one person, filled in one round trip from JSON arrays of rows.
_INSERT_CORE_CHILDREN = text(
    """
    WITH work AS (
        INSERT INTO core.person_work_history (
            person_id, position, company_id, company_name, company_domain, title,
            start_date, start_precision, end_date, end_precision, is_current)
        SELECT
            person_id, position, company_id, company_name, company_domain, title,
            start_date, start_precision, end_date, end_precision, is_current
        FROM jsonb_populate_recordset(NULL::core.person_work_history, CAST(:work AS jsonb))
    ), promotions AS (
        INSERT INTO core.person_promotions (
            person_id, position, company_id, from_title, to_title, promoted_on,
            promoted_on_precision)
        SELECT
            person_id, position, company_id, from_title, to_title, promoted_on,
            promoted_on_precision
        FROM jsonb_populate_recordset(NULL::core.person_promotions, CAST(:promotions AS jsonb))
    ), past AS (
        INSERT INTO core.person_past_employer (
            person_id, company_id, position, company_name, company_domain)
        SELECT person_id, company_id, position, company_name, company_domain
        FROM jsonb_populate_recordset(NULL::core.person_past_employer, CAST(:past AS jsonb))
    )
    INSERT INTO core.person_tenure (
        person_id, company_id, company_name, company_domain, title, start_date,
        start_precision)
    SELECT
        person_id, company_id, company_name, company_domain, title, start_date,
        start_precision
    FROM jsonb_populate_recordset(NULL::core.person_tenure, CAST(:tenure AS jsonb))
    """
)


def _tenure_rows(person_id: int, core: CoreRecord, ids: Mapping[str, int]) -> list[dict[str, Any]]:
    tenure = core.tenure
    if tenure is None:
        return []
    row = {
        "person_id": person_id,
        "company_id": ids.get(tenure.company_key or ""),
        "company_name": tenure.company_name,
        "company_domain": tenure.company_domain,
        "title": tenure.title,
        **date_columns("start", tenure.start),
    }
    return [row]


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
    rows: dict[int, dict[str, Any]] = {}  # two keys may name one company (identity)
    for i, p in enumerate(core.past_employers):
        if p.company_key in ids and ids[p.company_key] not in rows:
            rows[ids[p.company_key]] = {
                "person_id": person_id,
                "company_id": ids[p.company_key],
                "position": i,
                "company_name": p.company_name,
                "company_domain": p.company_domain,
            }
    return list(rows.values())


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
    conn.execute(_UPSERT_LOCATION, {"person_id": person_id, **values})


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
    conn.execute(_UPSERT_JOB_TITLE, {"person_id": person_id, **values})


def _one_per_person_statement(table: Table, columns: Sequence[str]) -> Any:
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["person_id"],
        set_={**{k: stmt.excluded[k] for k in columns}, "updated_at": func.now()},
    )


_UPSERT_LOCATION = _one_per_person_statement(
    t.person_locations,
    ["location_name", "location_key", "matched", *LocationMatch.model_fields],
)
_UPSERT_JOB_TITLE = _one_per_person_statement(
    t.person_job_titles, ["latest_title", "title_key", "matched", *TitleMatch.model_fields]
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
