"""Core layer: people, the companies they worked at, and what is derived per person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Delete,
    Insert,
    Table,
    bindparam,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import array, insert

from pipeline import tables as t
from pipeline.store.engine import date_columns
from pipeline.store.jsonrows import insert_from_json, json_params, json_records
from schemas.records import CompanyRecord, CoreRecord, LocationMatch, ProfileRecord, TitleMatch


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
    result = conn.execute(_UPSERT_COMPANIES, json_params({"rows": rows}))
    ids = {key: int(cid) for key, cid in result}
    if missing := sorted({c.company_key for c in companies} - ids.keys()):
        # Inserted by a concurrent transaction after this statement's snapshot was taken.
        found = conn.execute(_COMPANY_IDS, {"keys": missing})
        ids |= {key: int(cid) for key, cid in found}
    return ids


#: The `core.companies` columns a `CompanyRecord` fills (its identity; the golden-record
#: columns are `store.companies`' to write).
COMPANY_FIELDS = [c for c in t.companies.columns if c.name in CompanyRecord.model_fields]


def _upsert_companies_statement() -> Any:
    """Insert new companies and merge what is new into known ones; returns every row's id
    (the unchanged ones read from the statement's snapshot). A known company with nothing
    new is not even locked."""
    c = t.companies
    incoming = select(json_records(COMPANY_FIELDS, "rows")).cte("incoming")
    i, k = incoming.alias("i"), c.alias("k")
    nothing_new = exists().where(
        k.c.company_key == i.c.company_key,
        _names(i.c).contained_by(_names(k.c)),
        k.c.linkedin_url.is_not(None) | i.c.linkedin_url.is_(None),
    )
    stmt = insert(c).from_select(
        [f.name for f in COMPANY_FIELDS],
        select(*(i.c[f.name] for f in COMPANY_FIELDS))
        .where(~nothing_new)
        .order_by(i.c.company_key),
    )
    new = stmt.excluded
    alias = func.unnest(c.c.aliases + new.aliases + array([new.name])).column_valued("a")
    # Sorted, distinct, without the company's own name (array_remove: a subquery naming
    # the conflict target would not be correlated inside ON CONFLICT).
    aliases = func.array_remove(
        func.array(select(alias).distinct().order_by(alias).scalar_subquery()), c.c.name
    )
    changed = (
        stmt.on_conflict_do_update(
            index_elements=["company_key"],
            set_={
                "aliases": aliases,
                "linkedin_url": func.coalesce(c.c.linkedin_url, new.linkedin_url),
                "updated_at": func.now(),
            },
            where=~_names(new).contained_by(_names(c.c))
            | (c.c.linkedin_url.is_(None) & new.linkedin_url.is_not(None)),
        )
        .returning(c.c.company_key, c.c.id)
        .cte("changed")
    )
    unchanged = (
        select(c.c.company_key, c.c.id)
        .join(incoming, incoming.c.company_key == c.c.company_key)
        .where(c.c.company_key.not_in(select(changed.c.company_key)))
    )
    return select(changed.c.company_key, changed.c.id).union_all(unchanged)


def _names(row: Any) -> Any:
    """aliases || ARRAY[name]: every name a company row goes by."""
    return row.aliases + array([row.name])


_UPSERT_COMPANIES = _upsert_companies_statement()

_COMPANY_IDS = select(t.companies.c.company_key, t.companies.c.id).where(
    t.companies.c.company_key.in_(bindparam("keys", expanding=True))
)


def _clear_children_statement() -> Delete:
    def clear(table: Table) -> Delete:
        return delete(table).where(table.c.person_id == bindparam("person_id"))

    return clear(t.person_tenure).add_cte(
        clear(t.person_work_history).cte("work"),
        clear(t.person_promotions).cte("promotions"),
        clear(t.person_past_employer).cte("past"),
    )


def _insert_children_statement() -> Insert:
    return insert_from_json(t.person_tenure, "tenure").add_cte(
        insert_from_json(t.person_work_history, "work").cte("work"),
        insert_from_json(t.person_promotions, "promotions").cte("promotions"),
        insert_from_json(t.person_past_employer, "past").cte("past"),
    )


#: Every core child row of one person, cleared in one round trip.
_CLEAR_CORE_CHILDREN = _clear_children_statement()

#: Every core child table of one person, filled in one round trip from JSON arrays of rows,
#: every written column of each (see `pipeline.store.jsonrows`).
_INSERT_CORE_CHILDREN = _insert_children_statement()


def replace_core_children(
    conn: Connection, *, person_id: int, core: CoreRecord, company_ids: Mapping[str, int]
) -> None:
    """Rebuild work history, tenure, promotions and past employers for one person."""
    conn.execute(_CLEAR_CORE_CHILDREN, {"person_id": person_id})
    rows = {
        "work": work_history_rows(person_id, core, company_ids),
        "promotions": promotion_rows(person_id, core, company_ids),
        "past": past_employer_rows(person_id, core, company_ids),
        "tenure": tenure_rows(person_id, core, company_ids),
    }
    if any(rows.values()):
        conn.execute(_INSERT_CORE_CHILDREN, json_params(rows))


def tenure_rows(person_id: int, core: CoreRecord, ids: Mapping[str, int]) -> list[dict[str, Any]]:
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


def work_history_rows(
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


def promotion_rows(
    person_id: int, core: CoreRecord, ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "person_id": person_id,
            "position": i,
            "company_id": ids[p.company_key],
            "from_title": p.from_title,
            "to_title": p.to_title,
            # The column is `promoted_on`, not `promoted_on_date` (`date_columns`' naming).
            "promoted_on": p.promoted_on.value if p.promoted_on else None,
            "promoted_on_precision": p.promoted_on.precision if p.promoted_on else None,
        }
        for i, p in enumerate(core.promotions)
        if p.company_key in ids
    ]


def past_employer_rows(
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
    values = {"location_name": location_name, "location_key": location_key}
    _set_matched(conn, _UPSERT_LOCATION, person_id, values, match, matched=matched)


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
    values = {"latest_title": latest_title, "title_key": title_key}
    _set_matched(conn, _UPSERT_JOB_TITLE, person_id, values, match, matched=matched)


def _set_matched(
    conn: Connection,
    statement: Any,
    person_id: int,
    values: Mapping[str, str | None],
    match: LocationMatch | TitleMatch,
    *,
    matched: bool,
) -> None:
    """Upsert a person's one row of a looked-up value: the value, whether the lookup
    matched it, and the match's fields."""
    params = {"person_id": person_id, **values, "matched": matched, **match.model_dump()}
    conn.execute(statement, params)


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
