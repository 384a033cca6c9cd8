"""The pure-SQL baseline of a reprocess: PostgreSQL writes the same rows from the raw jsonb.

No Python transform: each batch of 500 raw ids is one transaction of `INSERT … SELECT`
statements that read the stored payloads' jsonb (Clay, Proxycurl and PDL shapes) and write
`extracted.person_profile`, `person_experience`, `person_education`, then `core.companies`
(one per company key), `core.people` and `core.person_work_history`. What needs Python's
rules (location and job-title classification, tenures, promotions, past employers,
company aliases and facts, canonical URL spellings, de-padded dates) is left out, so this
writes less than a reprocess does: it is the machine's limit for moving those rows, not a
rival implementation. Batches run on `connections` connections at once.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from bench import profiling

#: Payloads per transaction, as a reprocess batch.
BATCH = 500

_PERSON = "CASE WHEN r.raw_payload ? 'likelihood' THEN r.raw_payload->'data' ELSE r.raw_payload END"


def _date(v: str) -> str:
    """A date from a `YYYY[-MM[-DD]]` string or a Proxycurl `{year, month, day}` object."""
    return f"""CASE
        WHEN jsonb_typeof({v}) = 'object' AND ({v}->>'year') ~ '^\\d{{4}}$' THEN make_date(
            ({v}->>'year')::int, coalesce(({v}->>'month')::int, 1), coalesce(({v}->>'day')::int, 1))
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}' THEN substr({v}#>>'{{}}', 1, 10)::date
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}-\\d{{2}}$' THEN (({v}#>>'{{}}') || '-01')::date
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}$' THEN (({v}#>>'{{}}') || '-01-01')::date END"""


def _precision(v: str) -> str:
    return f"""CASE
        WHEN jsonb_typeof({v}) = 'object' AND ({v}->>'year') IS NOT NULL THEN
            CASE WHEN {v}->>'day' IS NOT NULL THEN 'day'
                 WHEN {v}->>'month' IS NOT NULL THEN 'month' ELSE 'year' END
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}' THEN 'unknown'
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}-\\d{{2}}$' THEN 'month'
        WHEN ({v}#>>'{{}}') ~ '^\\d{{4}}$' THEN 'year' END"""


def _text(v: str) -> str:
    """A JSON value's text: an object's `name` (PDL), else the string."""
    return f"CASE WHEN jsonb_typeof({v}) = 'object' THEN {v}->>'name' ELSE {v}#>>'{{}}' END"


#: The batch's payloads, one per person (its latest), with the provider's person object.
_SOURCE = f"""
    src AS (
        SELECT DISTINCT ON (r.linkedin_url) r.id, r.linkedin_url AS url, r.workflow_slug,
               {_PERSON} AS p
        FROM raw.person_payloads r WHERE r.id = ANY(%(ids)s) AND r.linkedin_url IS NOT NULL
        ORDER BY r.linkedin_url, r.id DESC
    )"""

PROFILE = f"""
WITH {_SOURCE}
INSERT INTO extracted.person_profile AS t (
    linkedin_url, slug, shape, workflow_slug, raw_payload_id, full_name, first_name, last_name,
    headline, summary, location_name, city, state, country, country_code, connections,
    picture_url, refreshed_at)
SELECT url, split_part(url, '/in/', 2),
    CASE WHEN p ? 'experiences' THEN 'proxycurl' WHEN p ? 'job_title_levels' THEN 'pdl'
         ELSE 'clay' END,
    workflow_slug, id, coalesce(p->>'full_name', p->>'name'), p->>'first_name',
    p->>'last_name', p->>'headline', p->>'summary',
    coalesce(p->>'location_name', concat_ws(', ', p->>'city', p->>'state',
                                            p->>'country_full_name')),
    coalesce(p->>'city', p->>'location_locality'), coalesce(p->>'state', p->>'location_region'),
    coalesce(p->>'country_full_name', p->>'location_country',
             CASE WHEN length(p->>'country') > 2 THEN p->>'country' END),
    CASE WHEN length(p->>'country') = 2 THEN upper(p->>'country') END,
    CASE WHEN coalesce(p->>'connections', p->>'linkedin_connections') ~ '^\\d+$'
         THEN coalesce(p->>'connections', p->>'linkedin_connections')::int END,
    coalesce(p->>'picture_url_orig', p->>'profile_pic_url'),
    CASE WHEN p->>'last_refresh' ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}'
         THEN (p->>'last_refresh')::timestamptz END
FROM src
ON CONFLICT (linkedin_url) DO UPDATE SET
    slug = EXCLUDED.slug, shape = EXCLUDED.shape, workflow_slug = EXCLUDED.workflow_slug,
    raw_payload_id = EXCLUDED.raw_payload_id, full_name = EXCLUDED.full_name,
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    headline = EXCLUDED.headline, summary = EXCLUDED.summary,
    location_name = EXCLUDED.location_name, city = EXCLUDED.city, state = EXCLUDED.state,
    country = EXCLUDED.country, country_code = EXCLUDED.country_code,
    connections = EXCLUDED.connections, picture_url = EXCLUDED.picture_url,
    refreshed_at = EXCLUDED.refreshed_at, extracted_at = now()
"""

_CLEAR = "DELETE FROM {table} WHERE linkedin_url = ANY(%(urls)s)"

_DOMAIN = (
    "nullif(lower(rtrim(regexp_replace(coalesce(x->>'company_domain', x->'company'->>'website'),"
    " '^https?://(www\\.)?', ''), './')), '')"
)

EXPERIENCE = f"""
WITH {_SOURCE}, rows AS (
    SELECT url, n - 1 AS position, x, {_text("x->'title'")} AS title,
           {_text("x->'company'")} AS company_name, {_DOMAIN} AS company_domain
    FROM src, jsonb_array_elements(
        CASE WHEN jsonb_typeof(coalesce(p->'experience', p->'experiences')) = 'array'
             THEN coalesce(p->'experience', p->'experiences') ELSE '[]' END
    ) WITH ORDINALITY AS e(x, n)
)
INSERT INTO extracted.person_experience (
    linkedin_url, position, title, company_name, company_domain, company_key,
    company_linkedin_url, location, start_date, start_precision, end_date, end_precision,
    is_current, title_levels, title_role, title_sub_role)
SELECT url, position, title, company_name, company_domain,
    coalesce(company_domain, 'name:' || lower(company_name)),
    coalesce(x->>'url', x->'company'->>'linkedin_url', x->>'company_linkedin_profile_url'),
    coalesce(x->>'locality', x->>'location', x->'location_names'->>0),
    {_date("coalesce(x->'start_date', x->'starts_at')")},
    {_precision("coalesce(x->'start_date', x->'starts_at')")},
    {_date("coalesce(x->'end_date', x->'ends_at')")},
    {_precision("coalesce(x->'end_date', x->'ends_at')")},
    coalesce((x->>'is_current')::boolean,
             coalesce(x->'end_date', x->'ends_at', 'null') = 'null'),
    CASE WHEN jsonb_typeof(x->'title'->'levels') = 'array'
         THEN ARRAY(SELECT jsonb_array_elements_text(x->'title'->'levels')) ELSE '{{}}' END,
    x->'title'->>'role', x->'title'->>'sub_role'
FROM rows
"""

EDUCATION = f"""
WITH {_SOURCE}
INSERT INTO extracted.person_education (
    linkedin_url, position, school_name, degree, field_of_study, start_date, start_precision,
    end_date, end_precision)
SELECT url, n - 1, {_text("x->'school'")}, coalesce(x->>'degree', x->>'degree_name',
    x->'degrees'->>0), coalesce(x->>'field_of_study', x->'majors'->>0),
    {_date("coalesce(x->'start_date', x->'starts_at')")},
    {_precision("coalesce(x->'start_date', x->'starts_at')")},
    {_date("coalesce(x->'end_date', x->'ends_at')")},
    {_precision("coalesce(x->'end_date', x->'ends_at')")}
FROM src, jsonb_array_elements(
    CASE WHEN jsonb_typeof(p->'education') = 'array' THEN p->'education' ELSE '[]' END
) WITH ORDINALITY AS e(x, n)
"""

COMPANIES = """
INSERT INTO core.companies AS c (company_key, domain, name, linkedin_url)
SELECT DISTINCT ON (company_key) company_key, company_domain, company_name, company_linkedin_url
FROM extracted.person_experience
WHERE linkedin_url = ANY(%(urls)s) AND company_name IS NOT NULL
ORDER BY company_key, company_linkedin_url NULLS LAST
ON CONFLICT (company_key) DO UPDATE SET
    name = EXCLUDED.name, linkedin_url = coalesce(EXCLUDED.linkedin_url, c.linkedin_url),
    updated_at = now()
WHERE (c.name, c.linkedin_url) IS DISTINCT FROM
      (EXCLUDED.name, coalesce(EXCLUDED.linkedin_url, c.linkedin_url))
"""

PEOPLE = """
INSERT INTO core.people AS t (linkedin_url, slug, full_name, first_name, last_name, headline,
                              source_refreshed_at)
SELECT linkedin_url, slug, full_name, first_name, last_name, headline, refreshed_at
FROM extracted.person_profile WHERE linkedin_url = ANY(%(urls)s)
ON CONFLICT (linkedin_url) DO UPDATE SET
    slug = EXCLUDED.slug, full_name = EXCLUDED.full_name, first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, headline = EXCLUDED.headline,
    source_refreshed_at = EXCLUDED.source_refreshed_at, updated_at = now()
"""

CLEAR_WORK_HISTORY = """
DELETE FROM core.person_work_history w USING core.people pe
WHERE w.person_id = pe.id AND pe.linkedin_url = ANY(%(urls)s)
"""

WORK_HISTORY = """
INSERT INTO core.person_work_history (
    person_id, position, company_id, company_name, company_domain, title, start_date,
    start_precision, end_date, end_precision, is_current)
SELECT pe.id, x.position, c.id, x.company_name, x.company_domain, x.title, x.start_date,
       x.start_precision, x.end_date, x.end_precision, x.is_current
FROM extracted.person_experience x
JOIN core.people pe ON pe.linkedin_url = x.linkedin_url
LEFT JOIN core.companies c ON c.company_key = x.company_key
WHERE x.linkedin_url = ANY(%(urls)s)
"""


def _batches(conn: psycopg.Connection[Any], batches: list[list[int]]) -> None:
    """Batches one after another on one connection."""
    for ids in batches:
        with conn.transaction():
            _batch(conn, ids)


def _batch(conn: psycopg.Connection[Any], ids: list[int]) -> None:
    """One batch in one transaction (the URLs are read first: no transform, a lookup)."""
    urls = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT linkedin_url FROM raw.person_payloads"
            " WHERE id = ANY(%(ids)s) AND linkedin_url IS NOT NULL ORDER BY 1",
            {"ids": ids},
        )
    ]
    params: dict[str, Any] = {"ids": ids, "urls": urls}
    conn.execute(PROFILE, params)
    for table, insert in (
        ("extracted.person_experience", EXPERIENCE),
        ("extracted.person_education", EDUCATION),
    ):
        conn.execute(_CLEAR.format(table=table), params)
        conn.execute(insert, params)
    for statement in (COMPANIES, PEOPLE, CLEAR_WORK_HISTORY, WORK_HISTORY):
        conn.execute(statement, params)


def run(database_url: str, *, connections: int = 2) -> tuple[int, float, float]:
    """Write every stored person payload's rows in batches, on `connections` connections
    at once; (payloads, seconds, PostgreSQL CPU seconds)."""
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    with psycopg.connect(dsn) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM raw.person_payloads ORDER BY id")]
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    shares = [batches[i::connections] for i in range(connections)]
    database = database_url.rsplit("/", 1)[1]
    meter = profiling.CpuMeter({"postgres": profiling.matching(f" {database} ")})
    # The connections outlive the clock, so their server processes' CPU time is measured.
    conns = [psycopg.connect(dsn, autocommit=True) for _ in shares]
    try:
        with ThreadPoolExecutor(max_workers=connections) as pool:
            meter.start()
            started = time.monotonic()
            list(pool.map(_batches, conns, shares))
            seconds = time.monotonic() - started
            used = meter.stop()["postgres"]
    finally:
        for conn in conns:
            conn.close()
    return len(ids), seconds, used
