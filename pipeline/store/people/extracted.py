"""Extracted layer: a person's profile, experience and education rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Delete,
    Insert,
    RowMapping,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.store.engine import date_columns, partial_date
from pipeline.store.jsonrows import insert_from_json, json_params, written_columns
from schemas.records import EducationRecord, ExperienceRecord, ProfileRecord

#: The profile columns `ProfileRecord` carries besides its key (the rest say where it came from).
_PROFILE_FIELDS = [
    str(c.name)
    for c in written_columns(t.person_profile)
    if c.name in ProfileRecord.model_fields and c.name != "linkedin_url"
]


@dataclass(frozen=True)
class ProfileWrite:
    """An extracted profile to store, with the raw payload and workflow it came from."""

    profile: ProfileRecord
    raw_id: int
    workflow_slug: str


def write_profiles(conn: Connection, *, writes: Sequence[ProfileWrite]) -> list[bool]:
    """Store each profile and make its experience and education rows exactly its own,
    unless the stored profile is newer; returns, in order, whether each was (False: stale).

    Writes naming one person apply in their order, as one call each would (a later stale
    one stays stale against an earlier one's `refreshed_at`): the list is cut into rounds
    in which every person appears once (an upsert cannot touch a row twice), and each
    round costs two statements whatever its size. The profile row lock taken by the
    upsert serialises every writer of one person until commit, so the child rows that
    follow cannot interleave with another payload's; rows go in URL order, so two batches
    sharing people lock them in one order.
    """
    fresh = [False] * len(writes)
    for round_ in rounds([w.profile.linkedin_url for w in writes]):
        values = [_profile_values(writes[i]) for i in round_]
        stored = set(conn.execute(_UPSERT_PROFILES, json_params({"rows": values})).scalars())
        done = [i for i in round_ if writes[i].profile.linkedin_url in stored]
        for i in done:
            fresh[i] = True
        _insert_children(conn, [writes[i].profile for i in done])
    return fresh


def rounds(keys: Sequence[str]) -> list[list[int]]:
    """Indexes of `keys` cut into rounds of distinct keys, in order: the n-th occurrence of
    every key is in round n, so a key's items run in their order, one round after another."""
    seen: dict[str, int] = {}
    out: list[list[int]] = []
    for index, key in enumerate(keys):
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(out):
            out.append([])
        out[n].append(index)
    return out


def _profile_values(write: ProfileWrite) -> dict[str, Any]:
    profile = write.profile
    values = {f: getattr(profile, f) for f in _PROFILE_FIELDS}
    return values | {
        "linkedin_url": profile.linkedin_url,
        "raw_payload_id": write.raw_id,
        "workflow_slug": write.workflow_slug,
    }


def _upsert_profiles_statement() -> Any:
    """Upsert profiles from JSON rows unless the stored one is newer, clearing the child
    rows of those written in the same statement; returns their URLs."""
    stmt = insert_from_json(t.person_profile, "rows", order_by=["linkedin_url"])
    current = t.person_profile.c.refreshed_at
    newer_or_unknown = (
        current.is_(None)
        | stmt.excluded.refreshed_at.is_(None)
        | (stmt.excluded.refreshed_at >= current)
    )
    updated = [c.name for c in written_columns(t.person_profile) if c.name != "linkedin_url"]
    written = (
        stmt.on_conflict_do_update(
            index_elements=["linkedin_url"],
            set_={**{k: stmt.excluded[k] for k in updated}, "extracted_at": func.now()},
            where=newer_or_unknown,
        )
        .returning(t.person_profile.c.linkedin_url)
        .cte("written")
    )

    # `= ANY(ARRAY(subquery))`: an init plan, so the child rows are found by their primary
    # key (`IN (subquery)` plans a hash join over a scan of the whole child table).
    urls = func.array(select(written.c.linkedin_url).scalar_subquery())

    def clear(table: Table) -> Delete:
        return delete(table).where(table.c.linkedin_url == any_(urls))

    return select(written.c.linkedin_url).add_cte(
        clear(t.person_experience).cte("experience"), clear(t.person_education).cte("education")
    )


_UPSERT_PROFILES = _upsert_profiles_statement()


def _insert_children_statement() -> Insert:
    experience = insert_from_json(t.person_experience, "experiences").cte("experience")
    return insert_from_json(t.person_education, "educations").add_cte(experience)


#: Both child tables of extracted profiles, filled in one round trip from JSON arrays of
#: rows, every written column of each (see `pipeline.store.jsonrows`).
_INSERT_EXTRACTED_CHILDREN = _insert_children_statement()


def _insert_children(conn: Connection, profiles: Sequence[ProfileRecord]) -> None:
    """Insert the experience and education rows of profiles whose old rows are cleared."""
    rows = {
        "experiences": [
            experience_values(p.linkedin_url, r) for p in profiles for r in p.experiences
        ],
        "educations": [education_values(p.linkedin_url, r) for p in profiles for r in p.educations],
    }
    if any(rows.values()):
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


def load_profiles(conn: Connection, *, linkedin_urls: Sequence[str]) -> dict[str, ProfileRecord]:
    """Rebuild extracted profiles from their rows, for `sync_core` (three statements
    whatever the count); a URL without a profile is absent."""
    if not linkedin_urls:
        return {}
    key = {"urls": sorted(set(linkedin_urls))}
    found = {row.linkedin_url: row._mapping for row in conn.execute(_LOAD_PROFILES, key)}
    experiences: dict[str, list[ExperienceRecord]] = {}
    for row in conn.execute(_LOAD_EXPERIENCE, key).mappings():
        experiences.setdefault(row["linkedin_url"], []).append(_experience_record(row))
    educations: dict[str, list[EducationRecord]] = {}
    for row in conn.execute(_LOAD_EDUCATION, key).mappings():
        educations.setdefault(row["linkedin_url"], []).append(_education_record(row))
    return {
        url: ProfileRecord(
            linkedin_url=url,
            **{f: row[f] for f in _PROFILE_FIELDS},
            experiences=tuple(experiences.get(url, ())),
            educations=tuple(educations.get(url, ())),
        )
        for url, row in found.items()
    }


def load_profile(conn: Connection, *, linkedin_url: str) -> ProfileRecord:
    """One extracted profile (`load_profiles`); `MissingRecordError` if there is none."""
    found = load_profiles(conn, linkedin_urls=[linkedin_url]).get(linkedin_url)
    if found is None:
        raise missing_profile(linkedin_url)
    return found


def missing_profile(linkedin_url: str) -> MissingRecordError:
    """The error a step reports for a person with no extracted profile."""
    return MissingRecordError(f"extracted.person_profile {linkedin_url} does not exist")


def _by_person_urls(table: Table, *, ordered: bool = True) -> Any:
    urls = bindparam("urls", type_=ARRAY(Text))
    stmt = select(table).where(table.c.linkedin_url == any_(urls))
    return stmt.order_by(table.c.linkedin_url, table.c.position) if ordered else stmt


_LOAD_PROFILES = _by_person_urls(t.person_profile, ordered=False)
_LOAD_EXPERIENCE = _by_person_urls(t.person_experience)
_LOAD_EDUCATION = _by_person_urls(t.person_education)

#: Row columns a record holds otherwise (its key is the parent's, dates are `PartialDate`s).
_NOT_IN_RECORD = {"linkedin_url", "start_date", "start_precision", "end_date", "end_precision"}


def _experience_record(row: RowMapping) -> ExperienceRecord:
    plain = {k: v for k, v in row.items() if k not in _NOT_IN_RECORD}
    plain["title_levels"] = tuple(plain["title_levels"] or ())
    return ExperienceRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))


def _education_record(row: RowMapping) -> EducationRecord:
    plain = {k: v for k, v in row.items() if k not in _NOT_IN_RECORD}
    return EducationRecord(**plain, start=partial_date(row, "start"), end=partial_date(row, "end"))
