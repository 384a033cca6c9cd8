"""Extracted layer: a person's profile, experience and education rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Delete,
    Insert,
    RowMapping,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert

from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.store.engine import date_columns, partial_date
from pipeline.store.jsonrows import insert_from_json, json_params, written_columns
from schemas.records import EducationRecord, ExperienceRecord, ProfileRecord

#: The profile columns `ProfileRecord` carries besides its key (the rest say where it came from).
_PROFILE_FIELDS = [
    c.name
    for c in written_columns(t.person_profile)
    if c.name in ProfileRecord.model_fields and c.name != "linkedin_url"
]


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
    updated = [c.name for c in written_columns(t.person_profile) if c.name != "linkedin_url"]
    return stmt.on_conflict_do_update(
        index_elements=["linkedin_url"],
        set_={**{k: stmt.excluded[k] for k in updated}, "extracted_at": func.now()},
        where=newer_or_unknown,
    ).returning(t.person_profile.c.linkedin_url)


_UPSERT_PROFILE = _upsert_profile_statement()


def _clear_children_statement() -> Delete:
    def clear(table: Table) -> Delete:
        return delete(table).where(table.c.linkedin_url == bindparam("linkedin_url"))

    return clear(t.person_education).add_cte(clear(t.person_experience).cte("experience"))


def _insert_children_statement() -> Insert:
    experience = insert_from_json(t.person_experience, "experiences").cte("experience")
    return insert_from_json(t.person_education, "educations").add_cte(experience)


#: Both child tables of an extracted profile, cleared in one round trip.
_CLEAR_EXTRACTED_CHILDREN = _clear_children_statement()

#: Both child tables of an extracted profile, filled in one round trip from JSON arrays of
#: rows, every written column of each (see `pipeline.store.jsonrows`).
_INSERT_EXTRACTED_CHILDREN = _insert_children_statement()


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
            "experiences": [experience_values(linkedin_url, r) for r in experiences],
            "educations": [education_values(linkedin_url, r) for r in educations],
        }
        conn.execute(_INSERT_EXTRACTED_CHILDREN, json_params(rows))


def experience_values(linkedin_url: str, row: ExperienceRecord) -> dict[str, Any]:
    """One `extracted.person_experience` row, as the JSON its insert unpacks."""
    plain = row.model_dump(exclude={"start", "end", "title_levels"})
    return {
        "linkedin_url": linkedin_url,
        **plain,
        "title_levels": list(row.title_levels),
        **date_columns("start", row.start),
        **date_columns("end", row.end),
    }


def education_values(linkedin_url: str, row: EducationRecord) -> dict[str, Any]:
    """One `extracted.person_education` row, as the JSON its insert unpacks."""
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

#: Row columns a record holds otherwise (its key is the parent's, dates are `PartialDate`s).
_NOT_IN_RECORD = {"linkedin_url", "start_date", "start_precision", "end_date", "end_precision"}


def _experience_record(row: RowMapping) -> ExperienceRecord:
    plain = {k: v for k, v in row.items() if k not in _NOT_IN_RECORD}
    plain["title_levels"] = tuple(plain["title_levels"] or ())
    return ExperienceRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))


def _education_record(row: RowMapping) -> EducationRecord:
    plain = {k: v for k, v in row.items() if k not in _NOT_IN_RECORD}
    return EducationRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))
