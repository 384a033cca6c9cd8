"""SQL for `reference`: lookups and updates, backfills, public tickers, the workflow registry.

Also the set-based statements that keep `core` in step with a reference change: people
matched on a key get the key's new values, and the title backfill re-matches everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    RowMapping,
    Table,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from pipeline import backfill
from pipeline import tables as t
from pipeline.reference import WorkflowInfo
from schemas import canonical

#: The lookup reads, built once: a lookup runs them at a hundred a second, a batch of
#: syncs once for all its people.
_FIND_TITLES = select(t.job_title_lookup).where(
    t.job_title_lookup.c.title_key == any_(bindparam("keys", type_=ARRAY(Text)))
)
_FIND_LOCATIONS = select(t.location_lookup).where(
    t.location_lookup.c.location_key == any_(bindparam("keys", type_=ARRAY(Text)))
)


@lru_cache(maxsize=8)
def single_reads(engine: Engine) -> Engine:
    """`engine` in autocommit: a lone SELECT then costs one round trip (no BEGIN/ROLLBACK)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def find_job_titles(conn: Connection, title_keys: Iterable[str | None]) -> dict[str, RowMapping]:
    """The lookup rows of these normalised title keys, by key (a miss is absent)."""
    return _find(conn, _FIND_TITLES, "title_key", title_keys)


def find_locations(conn: Connection, location_keys: Iterable[str | None]) -> dict[str, RowMapping]:
    """The lookup rows of these normalised location keys, by key (a miss is absent)."""
    return _find(conn, _FIND_LOCATIONS, "location_key", location_keys)


def _find(conn: Connection, stmt: Any, column: str, keys: Iterable[str | None]) -> dict[str, Any]:
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return {}
    return {row[column]: row for row in conn.execute(stmt, {"keys": wanted}).mappings()}


def find_job_title(conn: Connection, title_key: str) -> RowMapping | None:
    """The lookup row for one title key (`find_job_titles`), if there is one."""
    return find_job_titles(conn, [title_key]).get(title_key)


def find_location(conn: Connection, location_key: str) -> RowMapping | None:
    """The lookup row for one location key (`find_locations`), if there is one."""
    return find_locations(conn, [location_key]).get(location_key)


def upsert_job_title(
    conn: Connection, *, title_key: str, latest_title: str, fields: Mapping[str, Any]
) -> RowMapping:
    """Insert or update a title; only the fields given change, the rest keep their values."""
    table = t.job_title_lookup
    stmt = insert(table).values(title_key=title_key, latest_title=latest_title, **fields)
    upsert = stmt.on_conflict_do_update(
        index_elements=["title_key"],
        set_={"latest_title": latest_title, **fields, "updated_at": func.now()},
    ).returning(table)
    return conn.execute(upsert).one()._mapping


def upsert_location(
    conn: Connection, *, location_key: str, location_name: str, fields: Mapping[str, Any]
) -> RowMapping:
    """Insert or update a location; only the fields given change, the rest keep their values."""
    table = t.location_lookup
    stmt = insert(table).values(location_key=location_key, location_name=location_name, **fields)
    upsert = stmt.on_conflict_do_update(
        index_elements=["location_key"],
        set_={"location_name": location_name, **fields, "updated_at": func.now()},
    ).returning(table)
    return conn.execute(upsert).one()._mapping


def register_workflow(conn: Connection, *, info: WorkflowInfo) -> bool:
    """Record a slug seen in traffic; a new one is flagged for review. True if it was new."""
    table = t.enrichment_workflow_registry
    stmt = (
        insert(table)
        .values(**info.model_dump(), needs_review=True)
        .on_conflict_do_nothing(index_elements=["workflow_slug"])
        .returning(table.c.workflow_slug)
    )
    return conn.execute(stmt).first() is not None


# --- keeping core in step with the reference tables --------------------------------------


def refresh_matched_titles(conn: Connection, *, title_key: str, row: Mapping[Any, Any]) -> int:
    """Give people already matched on this key the row's new values; returns how many."""
    table = t.person_job_titles
    values = {f: row[f] for f in ("cleaned_job_title", "seniority_level", "job_function")}
    return _refresh(conn, table, table.c.title_key == title_key, values)


def refresh_matched_locations(
    conn: Connection, *, location_key: str, row: Mapping[Any, Any]
) -> int:
    """Give people already matched on this key the row's new values; returns how many."""
    table = t.person_locations
    values = {f: row[f] for f in ("city", "state", "country", "country_code")}
    return _refresh(conn, table, table.c.location_key == location_key, values)


def _refresh(
    conn: Connection, table: Table, where: ColumnElement[bool], values: dict[str, Any]
) -> int:
    changed = or_(*(table.c[f].is_distinct_from(v) for f, v in values.items()))
    stmt = (
        update(table)
        .where(where, table.c.matched.is_(True), changed)
        .values(**values, updated_at=func.now())
    )
    return conn.execute(stmt).rowcount


#: Fill the reference titles from PDL's title data. `title_key` below is the SQL twin of
#: `pipeline.reference.lookup_key` (PostgreSQL's lower() stands in for casefold); levels are
#: bound in rank order, so the highest position among a row's levels is its seniority.
_BACKFILL_SQL = """
WITH role_map AS (
    SELECT * FROM unnest(CAST(:pdl_roles AS text[]), CAST(:role_functions AS text[]))
        AS m(pdl, function)
), sub_role_map AS (
    SELECT * FROM unnest(CAST(:pdl_sub_roles AS text[]), CAST(:sub_role_functions AS text[]))
        AS m(pdl, function)
), said_raw AS (
    -- Titles repeat: classify each distinct (title, PDL reading) once, with its row count.
    SELECT e.title,
           CAST(lower(CAST(e.title_levels AS text)) AS text[]) AS levels,
           lower(e.title_role) AS role,
           lower(e.title_sub_role) AS sub_role,
           count(*) AS n
    FROM extracted.person_experience e
    WHERE e.title IS NOT NULL
      AND (e.title_role IS NOT NULL OR cardinality(e.title_levels) > 0)
    GROUP BY 1, 2, 3, 4
), said AS MATERIALIZED (
    SELECT lower(btrim(regexp_replace(normalize(r.title, NFKC), '\\s+', ' ', 'g'))) AS title_key,
           coalesce(
               (CAST(:seniorities AS text[]))[(
                   SELECT max(array_position(CAST(:pdl_levels AS text[]), l))
                   FROM unnest(r.levels) AS l)],
               CASE WHEN r.role IS NOT NULL THEN CAST(:no_level AS text) END
           ) AS seniority,
           coalesce(sm.function, rm.function) AS function,
           r.n
    FROM said_raw r
    LEFT JOIN role_map rm ON rm.pdl = r.role
    LEFT JOIN sub_role_map sm ON sm.pdl = r.sub_role
), seniority_votes AS (
    SELECT DISTINCT ON (title_key) title_key, seniority
    FROM (SELECT title_key, seniority, sum(n) AS votes FROM said
          WHERE seniority IS NOT NULL GROUP BY 1, 2) AS s
    ORDER BY title_key, votes DESC, seniority
), function_votes AS (
    SELECT DISTINCT ON (title_key) title_key, function
    FROM (SELECT title_key, function, sum(n) AS votes FROM said
          WHERE function IS NOT NULL GROUP BY 1, 2) AS f
    ORDER BY title_key, votes DESC, function
), votes AS (
    SELECT title_key, s.seniority, f.function
    FROM seniority_votes s FULL JOIN function_votes f USING (title_key)
), filled AS (
    UPDATE reference.job_title_lookup r
    SET seniority_level = coalesce(r.seniority_level, v.seniority),
        job_function = coalesce(r.job_function, v.function),
        updated_at = now()
    FROM votes v, reference.job_title_lookup old
    WHERE v.title_key = r.title_key AND old.id = r.id
      AND ((r.seniority_level IS NULL AND v.seniority IS NOT NULL)
           OR (r.job_function IS NULL AND v.function IS NOT NULL))
    RETURNING old.seniority_level IS NULL AND v.seniority IS NOT NULL AS seniority_filled,
              old.job_function IS NULL AND v.function IS NOT NULL AS function_filled
)
SELECT count(*) AS titles_filled,
       count(*) FILTER (WHERE seniority_filled) AS seniority_filled,
       count(*) FILTER (WHERE function_filled) AS function_filled
FROM filled
"""


_REMATCH_SQL = """
UPDATE core.person_job_titles p
SET cleaned_job_title = r.cleaned_job_title,
    seniority_level = r.seniority_level,
    job_function = r.job_function,
    matched = true,
    updated_at = now()
FROM reference.job_title_lookup r
WHERE r.title_key = p.title_key
  AND (NOT p.matched
       OR (p.cleaned_job_title, p.seniority_level, p.job_function)
          IS DISTINCT FROM (r.cleaned_job_title, r.seniority_level, r.job_function))
"""


def backfill_job_titles(conn: Connection) -> dict[str, int]:
    """Fill empty seniority/function of reference titles from PDL's title data, set-based.

    Each title key takes the value most of its PDL-classified experience rows give (ties:
    the alphabetically first; see `pipeline.backfill` for the mapping). Values already
    stored are never overwritten.
    """
    levels = sorted(backfill.PDL_LEVELS.items(), key=lambda kv: canonical.seniority_rank(kv[1]))
    roles = list(backfill.PDL_ROLES.items())
    sub_roles = list(backfill.PDL_SUB_ROLES.items())
    params = {
        "pdl_levels": [k for k, _ in levels],
        "seniorities": [v for _, v in levels],
        "no_level": backfill.NO_LEVEL_SENIORITY,
        "pdl_roles": [k for k, _ in roles],
        "role_functions": [v for _, v in roles],
        "pdl_sub_roles": [k for k, _ in sub_roles],
        "sub_role_functions": [v for _, v in sub_roles],
    }
    row = conn.execute(text(_BACKFILL_SQL), params).one()._mapping
    return {k: int(v) for k, v in row.items()}


def rematch_people_titles(conn: Connection) -> int:
    """Point every person whose title key has a reference row at that row; returns how many."""
    return conn.execute(text(_REMATCH_SQL)).rowcount


# --- public tickers ---------------------------------------------------------------------

_TICKERS_SQL = """
INSERT INTO core.company_public AS cp (domain, company_id, ticker)
SELECT d.domain, c.id, d.ticker
FROM unnest(CAST(:domains AS text[]), CAST(:tickers AS text[])) AS d(domain, ticker)
LEFT JOIN core.companies c ON c.domain = d.domain
ON CONFLICT (domain) DO UPDATE
SET ticker = excluded.ticker,
    company_id = coalesce(excluded.company_id, cp.company_id),
    updated_at = now()
RETURNING cp.domain, cp.company_id IS NOT NULL AS known
"""


def upsert_tickers(conn: Connection, *, tickers: Mapping[str, str]) -> dict[str, bool]:
    """Set `core.company_public.ticker` by normalised domain; returns {domain: known company}.

    A domain no company has yet is stored all the same (unlinked), so its ticker is there
    when the company arrives; the caller reports it as unknown.
    """
    if not tickers:
        return {}
    domains = sorted(tickers)
    params = {"domains": domains, "tickers": [tickers[d] for d in domains]}
    return {row.domain: row.known for row in conn.execute(text(_TICKERS_SQL), params)}


# --- the workflow registry ----------------------------------------------------------------

_STATUSES = ("queued", "running", "succeeded", "failed", "dead")


def list_workflows(conn: Connection, *, workflow_slug: str | None = None) -> list[dict[str, Any]]:
    """Every registered slug, plus slugs only seen on jobs, each with job counts by status.

    With `workflow_slug`, only that one (an empty list if neither registered nor seen).
    """
    jobs, registry = t.jobs, t.enrichment_workflow_registry
    count_stmt = (
        select(jobs.c.workflow_slug, jobs.c.status, func.count())
        .where(jobs.c.workflow_slug.is_not(None))
        .group_by(jobs.c.workflow_slug, jobs.c.status)
    )
    registry_stmt = select(registry).order_by(registry.c.workflow_slug)
    if workflow_slug is not None:
        count_stmt = count_stmt.where(jobs.c.workflow_slug == workflow_slug)
        registry_stmt = registry_stmt.where(registry.c.workflow_slug == workflow_slug)
    counts: dict[str, dict[str, int]] = {}
    for slug, status, n in conn.execute(count_stmt):
        counts.setdefault(slug, dict.fromkeys(_STATUSES, 0))[status] = int(n)
    workflows = [{**r, "registered": True} for r in conn.execute(registry_stmt).mappings()]
    known = {w["workflow_slug"] for w in workflows}
    workflows += [
        {"workflow_slug": slug, "registered": False} for slug in sorted(counts) if slug not in known
    ]
    for workflow in workflows:
        by_status = counts.get(workflow["workflow_slug"], dict.fromkeys(_STATUSES, 0))
        workflow["counts"] = {**by_status, "total": sum(by_status.values())}
    return workflows


def save_workflow(
    conn: Connection, *, workflow_slug: str, fields: Mapping[str, Any], needs_review: bool
) -> tuple[dict[str, Any], bool]:
    """Register a slug or change the fields given; returns the row and whether it is new."""
    table = t.enrichment_workflow_registry
    stmt = insert(table).values(workflow_slug=workflow_slug, needs_review=needs_review, **fields)
    upsert = stmt.on_conflict_do_update(
        index_elements=["workflow_slug"], set_={"needs_review": needs_review, **fields}
    ).returning(table, literal_column("xmax = 0").label("created"))
    row = dict(conn.execute(upsert).one()._mapping)
    return row, bool(row.pop("created"))
