"""SQL for the person-profile chain, one module per layer: `raw` payloads, `extracted`
profiles and `core` people.

Every statement a profile passes through is built once, at import, and executed with a
dict of values. The writers and readers take lists: a batch of payloads is a constant
number of statements, one payload the size-1 case of the same code. Building a statement
per call, with its values inside, cost more client CPU than PostgreSQL spent running it;
a prebuilt one is compiled once per process and only bound afterwards. Rows travel as
JSON arrays (see `pipeline.store.jsonrows`), whose column lists come from
`pipeline.tables`, so a new column cannot drift. Callers use `people.<function>` as before.
"""

from __future__ import annotations

from pipeline.store.people.core import (
    PersonRows,
    people_needing_resync,
    upsert_companies,
    write_people,
)
from pipeline.store.people.extracted import (
    ProfileWrite,
    load_profile,
    load_profiles,
    missing_profile,
    rounds,
    write_profiles,
)
from pipeline.store.people.raw import (
    insert_person_payload,
    insert_person_payloads,
    load_person_payload,
    load_person_payloads,
    missing_payload,
)

__all__ = [
    "PersonRows",
    "ProfileWrite",
    "insert_person_payload",
    "insert_person_payloads",
    "load_person_payload",
    "load_person_payloads",
    "load_profile",
    "load_profiles",
    "missing_payload",
    "missing_profile",
    "people_needing_resync",
    "rounds",
    "upsert_companies",
    "write_people",
    "write_profiles",
]
