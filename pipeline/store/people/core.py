"""Core layer: people, the companies they worked at, and what is derived per person."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Insert,
    Table,
    any_,
    bindparam,
    case,
    column,
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


@dataclass(frozen=True)
class PersonRows:
    """Everything `sync_core` writes for one person: the profile's person fields, the derived
    core record, the company ids it names, and the resolved location and title."""

    profile: ProfileRecord
    core: CoreRecord
    company_ids: Mapping[str, int]
    location: Mapping[str, Any]
    job_title: Mapping[str, Any]


def write_people(conn: Connection, *, people: Sequence[PersonRows]) -> dict[str, int]:
    """Upsert `core.people` and rebuild every core row of each person; returns {URL: id}.

    Two statements whatever the count: the people upsert (which also clears their child
    rows) and one insert of every child row, location and title. A person must appear
    once (the caller keeps the last of repeats: each write replaces all of a person's
    rows). People go in URL order, so two batches sharing people lock them in one order;
    a person's child rows are only written under that row lock.
    """
    if not people:
        return {}
    rows = sorted((_person_values(p.profile) for p in people), key=lambda r: r["linkedin_url"])
    ids = {url: int(pid) for url, pid in conn.execute(_UPSERT_PEOPLE, json_params({"rows": rows}))}
    children: dict[str, list[dict[str, Any]]] = {
        "work": [],
        "promotions": [],
        "past": [],
        "tenure": [],
        "locations": [],
        "titles": [],
    }
    for p in people:
        pid, core, cids = ids[p.profile.linkedin_url], p.core, p.company_ids
        children["work"] += work_history_rows(pid, core, cids)
        children["promotions"] += promotion_rows(pid, core, cids)
        children["past"] += past_employer_rows(pid, core, cids)
        children["tenure"] += tenure_rows(pid, core, cids)
        children["locations"].append({"person_id": pid, **p.location})
        children["titles"].append({"person_id": pid, **p.job_title})
    for name in ("locations", "titles"):
        children[name].sort(key=lambda r: r["person_id"])  # row locks in one order
    conn.execute(_INSERT_CORE_CHILDREN, json_params(children))
    return ids


def _person_values(profile: ProfileRecord) -> dict[str, Any]:
    return {
        "linkedin_url": profile.linkedin_url,
        "slug": profile.slug,
        "full_name": profile.full_name,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "headline": profile.headline,
        "source_refreshed_at": profile.refreshed_at,
    }


#: The `core.people` columns a profile sets (the rest are the e-mail choice's and stamps).
_PERSON_COLUMNS = [
    "slug",
    "full_name",
    "first_name",
    "last_name",
    "headline",
    "source_refreshed_at",
]


def _upsert_people_statement() -> Any:
    """Upsert people from JSON rows in URL order, clearing their core child rows in the
    same statement; returns (URL, id) of each."""
    columns = [t.people.c.linkedin_url, *(t.people.c[n] for n in _PERSON_COLUMNS)]
    rows = json_records(columns, "rows")
    stmt = insert(t.people).from_select(
        [c.name for c in columns],
        select(*(rows.c[c.name] for c in columns)).order_by(rows.c.linkedin_url),
    )
    written = (
        stmt.on_conflict_do_update(
            index_elements=["linkedin_url"],
            set_={**{k: stmt.excluded[k] for k in _PERSON_COLUMNS}, "updated_at": func.now()},
        )
        .returning(t.people.c.linkedin_url, t.people.c.id)
        .cte("written")
    )

    # `= ANY(ARRAY(subquery))`: an init plan, so the child rows are found by their primary
    # key (`IN (subquery)` plans a hash join over a scan of the whole child table).
    ids = func.array(select(written.c.id).scalar_subquery())

    def clear(table: Table) -> Any:
        return delete(table).where(table.c.person_id == any_(ids)).cte(table.name)

    cleared = [clear(tb) for tb in (t.person_work_history, t.person_promotions)]
    cleared += [clear(tb) for tb in (t.person_past_employer, t.person_tenure)]
    return select(written.c.linkedin_url, written.c.id).add_cte(*cleared)


_UPSERT_PEOPLE = _upsert_people_statement()


def upsert_companies(
    conn: Connection, *, companies: Sequence[CompanyRecord], folded: Collection[str] = ()
) -> dict[str, int]:
    """Upsert companies by key (each key once), merging aliases; returns {company_key: id}.

    `folded` names new companies whose record stands for several applied one after
    another (`companies.upsert_identified_many`): inserted, their aliases are sorted and
    distinct, as the later records' merge would have left them.

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
            "folded": c.company_key in folded,
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
    fields = [*COMPANY_FIELDS, column("folded", Boolean)]
    incoming = select(json_records(fields, "rows")).cte("incoming")
    i, k = incoming.alias("i"), c.alias("k")
    nothing_new = exists().where(
        k.c.company_key == i.c.company_key,
        _names(i.c).contained_by(_names(k.c)),
        k.c.linkedin_url.is_not(None) | i.c.linkedin_url.is_(None),
    )
    inserted: dict[str, ColumnElement[Any]] = {f.name: i.c[f.name] for f in COMPANY_FIELDS}
    inserted["aliases"] = case((i.c.folded, _sorted_aliases(i.c)), else_=i.c.aliases)
    stmt = insert(c).from_select(
        list(inserted),
        select(*inserted.values()).where(~nothing_new).order_by(i.c.company_key),
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


def _sorted_aliases(row: Any) -> Any:
    """A row's names, sorted and distinct, without its own name (as a merge writes them)."""
    alias = func.unnest(_names(row)).column_valued("a")
    return func.array_remove(
        func.array(select(alias).distinct().order_by(alias).scalar_subquery()), row.name
    )


def _names(row: Any) -> Any:
    """aliases || ARRAY[name]: every name a company row goes by."""
    return row.aliases + array([row.name])


_UPSERT_COMPANIES = _upsert_companies_statement()

_COMPANY_IDS = select(t.companies.c.company_key, t.companies.c.id).where(
    t.companies.c.company_key.in_(bindparam("keys", expanding=True))
)


def _one_per_person(table: Table, param: str, columns: Sequence[str]) -> Any:
    """Upsert a person's one row of a looked-up value (location, title) from JSON rows."""
    stmt = insert_from_json(table, param, order_by=["person_id"])
    return stmt.on_conflict_do_update(
        index_elements=["person_id"],
        set_={**{k: stmt.excluded[k] for k in columns}, "updated_at": func.now()},
    )


def _insert_children_statement() -> Insert:
    """Every core row of the people just upserted (their old child rows are cleared by that
    statement), in one round trip from JSON arrays of rows, every written column of each
    (see `pipeline.store.jsonrows`)."""
    location_columns = ["location_name", "location_key", "matched", *LocationMatch.model_fields]
    title_columns = ["latest_title", "title_key", "matched", *TitleMatch.model_fields]
    return insert_from_json(t.person_tenure, "tenure").add_cte(
        insert_from_json(t.person_work_history, "work").cte("work"),
        insert_from_json(t.person_promotions, "promotions").cte("promotions"),
        insert_from_json(t.person_past_employer, "past").cte("past"),
        _one_per_person(t.person_locations, "locations", location_columns).cte("locations"),
        _one_per_person(t.person_job_titles, "titles", title_columns).cte("titles"),
    )


_INSERT_CORE_CHILDREN = _insert_children_statement()


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


def people_needing_resync(
    conn: Connection, *, title_key: str | None = None, location_key: str | None = None
) -> list[str]:
    """LinkedIn URLs of people whose title or location under this key is still unmatched."""
    urls: list[str] = []
    for table, key_column, key in (
        (t.person_job_titles, "title_key", title_key),
        (t.person_locations, "location_key", location_key),
    ):
        if key is not None:
            urls += conn.execute(
                select(t.people.c.linkedin_url)
                .join(table, table.c.person_id == t.people.c.id)
                .where(table.c[key_column] == key, table.c.matched.is_(False))
            ).scalars()
    return sorted(set(urls))
