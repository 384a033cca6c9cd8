"""Time the job-title backfill on 100k extracted experience rows (target: at most 5 s).

Run from the repository root: ``python bench/backfill.py [rows]``. It creates a scratch
database beside ``$HQ_TEST_PG_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
migrates it, seeds PDL-shaped experience rows, reference titles with empty seniority and
function, and unmatched people; then times what the `backfill_job_titles` actor runs (fill
+ re-match, one transaction). The baseline, measured in the same run, is one scan of the
same rows computing their title keys: the least any set-based backfill has to do.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import Connection, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import store  # noqa: E402
from pipeline.store import reference  # noqa: E402

ADMIN_DSN = os.environ.get("HQ_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")

#: Experience rows per person, distinct titles, and the budget the issue sets.
PER_PERSON = 4
TITLES = 5000
TARGET_S = 5.0

#: The baseline: the title-key expression the backfill computes, over every row once.
BASELINE_SQL = r"""SELECT count(DISTINCT lower(btrim(regexp_replace(normalize(title, NFKC),
                  '\s+', ' ', 'g')))) FROM extracted.person_experience"""

SEED_SQL = [
    """INSERT INTO raw.person_payloads (job_id, workflow_slug, raw_payload)
       VALUES ('00000000-0000-0000-0000-000000000001', 'bench', '{}')""",
    """INSERT INTO extracted.person_profile (linkedin_url, slug, shape, workflow_slug,
                                            raw_payload_id)
       SELECT 'https://www.linkedin.com/in/b-' || i, 'b-' || i, 'pdl', 'bench', 1
       FROM generate_series(1, :people) AS i""",
    """INSERT INTO extracted.person_experience (linkedin_url, position, title, title_levels,
                                               title_role, title_sub_role)
       SELECT 'https://www.linkedin.com/in/b-' || p, pos,
              CASE WHEN (p + pos) % 3 = 0 THEN upper('title ' || ((p * 7 + pos) % :titles))
                   ELSE 'Title  ' || ((p * 7 + pos) % :titles) END,
              string_to_array((ARRAY['senior', 'manager', 'director,vp', '', 'cxo,owner'])
                  [1 + (p + pos) % 5], ','),
              (ARRAY['engineering', 'sales', 'finance', NULL, 'operations', 'product'])
                  [1 + (p * 3 + pos) % 6],
              (ARRAY[NULL, 'accounting', NULL, 'project_management'])[1 + pos % 4]
       FROM generate_series(1, :people) AS p, generate_series(0, :per_person - 1) AS pos""",
    """INSERT INTO reference.job_title_lookup (title_key, latest_title, cleaned_job_title)
       SELECT 'title ' || i, 'Title ' || i, 'Title ' || i
       FROM generate_series(0, :titles - 1) AS i""",
    """INSERT INTO core.people (linkedin_url, slug)
       SELECT 'https://www.linkedin.com/in/b-' || i, 'b-' || i
       FROM generate_series(1, :people) AS i""",
    """INSERT INTO core.person_job_titles (person_id, latest_title, title_key, matched)
       SELECT id, 'Title ' || (id % :titles), 'title ' || (id % :titles), false
       FROM core.people""",
    "ANALYZE",
]


def scratch_database() -> str:
    """A new database migrated to head; returns its SQLAlchemy URL."""
    from alembic import command
    from alembic.config import Config

    name = f"hq_bench_backfill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + ADMIN_DSN.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    return name


def seed(conn: Connection, *, rows: int) -> None:
    """PDL-shaped experience rows, empty reference titles and unmatched people."""
    params = {"people": rows // PER_PERSON, "per_person": PER_PERSON, "titles": TITLES}
    for sql in SEED_SQL:
        conn.execute(text(sql), params)


def baseline(conn: Connection) -> float:
    """Seconds for one scan of the experience rows computing each title key."""
    started = time.perf_counter()
    conn.execute(text(BASELINE_SQL)).one()
    return time.perf_counter() - started


def main(rows: int) -> None:
    """Seed, time the backfill, print the numbers, drop the scratch database."""
    name = scratch_database()
    url = "postgresql+psycopg://" + ADMIN_DSN.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name
    engine = store.make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            seed(conn, rows=rows)
        with engine.connect() as conn:
            scan = baseline(conn)
        started = time.perf_counter()
        with engine.begin() as conn:
            counts = reference.backfill_job_titles(conn)
            counts["people_rematched"] = reference.rematch_people_titles(conn)
        took = time.perf_counter() - started
    finally:
        engine.dispose()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"rows={rows} titles={TITLES} people={rows // PER_PERSON}")
    print(f"baseline scan       {scan:7.3f} s")
    print(f"backfill + rematch  {took:7.3f} s  ({took / scan:.1f}x the scan)  {counts}")
    print(f"target {TARGET_S:.1f} s: {'met' if took <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
