"""SQL for the person-profile chain, one module per layer: `raw` payloads, `extracted`
profiles and `core` people.

Every statement a profile passes through is built once, at import, and executed with a
dict of values (one, or a list for many rows). Building a statement per call, with its
values inside, cost more client CPU than PostgreSQL spent running it; a prebuilt one is
compiled once per process and only bound afterwards. Child rows are cleared and refilled
with one statement each (data-modifying CTEs), whose column lists come from
`pipeline.tables` (see `pipeline.store.jsonrows`), so a stage makes as few round trips as
it can and a new column cannot drift. Callers use `people.<function>` as before.
"""

from __future__ import annotations

from pipeline.store.people.core import (
    people_needing_resync,
    replace_core_children,
    upsert_companies,
    upsert_person,
    upsert_person_job_title,
    upsert_person_location,
)
from pipeline.store.people.extracted import load_profile, replace_children, upsert_profile
from pipeline.store.people.raw import insert_person_payload, load_person_payload

__all__ = [
    "insert_person_payload",
    "load_person_payload",
    "load_profile",
    "people_needing_resync",
    "replace_children",
    "replace_core_children",
    "upsert_companies",
    "upsert_person",
    "upsert_person_job_title",
    "upsert_person_location",
    "upsert_profile",
]
