"""The person-profile chain's three steps over many payloads at once.

Each step takes a list and answers one outcome per item, in order; one item is the size-1
case of the same code. The chain's actors (`workers.stages`, micro-batched) and the
reprocess batches (`workers.reprocess`) both run these, inside a transaction the caller
owns, so the caller can record every item's job status in that same transaction.

Failure contract (what lets a batch isolate a bad item):
- an item whose payload cannot be processed (an extraction or validation error, a
  missing row) comes back as its `Exception`, in its place; its neighbours go on;
- an error of the set's SQL raises for the whole call: the transaction is lost, and the
  caller runs the items again one by one (size-1 calls) to find the culprit.

Within one call, items that name the same person are applied in their order, as if they
had come one after another (a later payload of a person sees the earlier one's rows).

Each step runs a fixed number of multi-row statements whatever the number of items (store
1, extract 3, prepare 7, sync 4; a person repeated in the call adds 2 per repeat to
extract, and a profile whose companies need a merge runs alone): the SQL is per set, the
Python transforms (extract, derive, classification, company identity's replay) per item.
`tests/integration/test_personsteps.py` holds one call to the rows of one call per item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping

from pipeline import derive, extract, sync
from pipeline.store import companies, people, persons
from schemas.records import CoreRecord, ProfileRecord


@dataclass(frozen=True)
class RawPayload:
    """A webhook body the `store_raw` step keeps, with what its job says about it."""

    job_id: str
    linkedin_url: str | None
    workflow_slug: str
    raw_payload: Mapping[str, Any] | list[Any]


@dataclass(frozen=True)
class Extracted:
    """An extracted payload: whose profile it is, and whether it was newer than the stored
    one (`fresh`; a stale payload ends its job, a fresh one goes on to sync)."""

    linkedin_url: str
    fresh: bool


@dataclass(frozen=True)
class Prepared:
    """A person ready for `sync_people`: the profile, its derived core record and company ids."""

    linkedin_url: str
    profile: ProfileRecord
    core: CoreRecord
    company_ids: Mapping[str, int]


def store_raw(conn: Connection, payloads: Sequence[RawPayload]) -> list[int]:
    """Keep every payload as received; returns their raw ids (the same id again for a job
    stored before). One statement whatever the count."""
    return people.insert_person_payloads(
        conn,
        payloads=[
            {
                "job_id": p.job_id,
                "linkedin_url": p.linkedin_url,
                "workflow_slug": p.workflow_slug,
                "raw_payload": p.raw_payload,
            }
            for p in payloads
        ],
    )


def extract_profiles(conn: Connection, raw_ids: Sequence[int]) -> list[Extracted | Exception]:
    """Extract each raw payload into `extracted` (profile, experience and education), unless
    the stored profile is newer.

    The rows are read in one statement and written in two per round (`people.write_profiles`:
    one round unless a person repeats in the call); the extraction itself runs per item,
    so a payload that cannot be extracted is that item's outcome alone.
    """
    rows = people.load_person_payloads(conn, raw_ids=raw_ids)
    out: list[Extracted | Exception] = []
    writes: dict[int, people.ProfileWrite] = {}
    for index, raw_id in enumerate(raw_ids):
        try:
            writes[index] = _extracted(rows.get(raw_id), raw_id)
        except Exception as err:  # this item's payload, not the set's SQL
            out.append(err)
            continue
        out.append(Extracted(writes[index].profile.linkedin_url, fresh=False))
    fresh = people.write_profiles(conn, writes=list(writes.values()))
    for index, is_fresh in zip(writes, fresh, strict=True):
        out[index] = Extracted(writes[index].profile.linkedin_url, is_fresh)
    return out


def _extracted(raw: RowMapping | None, raw_id: int) -> people.ProfileWrite:
    if raw is None:
        raise people.missing_payload(raw_id)
    profile = extract.extract_profile(raw["raw_payload"], linkedin_url=raw["linkedin_url"])
    return people.ProfileWrite(profile, raw_id, raw["workflow_slug"])


def prepare_sync(conn: Connection, linkedin_urls: Sequence[str]) -> list[Prepared | Exception]:
    """Load and derive each person's core record and upsert the companies it names.

    Companies are shared by many people: the caller commits this transaction at once,
    before `sync_people` (so one person's sync never holds a company row another waits on).
    Profiles are read set-based (`persons.profiles_for_sync`), derived per person, and the
    companies of all of them resolved in one pass (`companies.upsert_identified_many`).
    """
    profiles = persons.profiles_for_sync(conn, linkedin_urls=linkedin_urls)
    errors: dict[int, Exception] = {}
    ready: dict[int, tuple[ProfileRecord, CoreRecord]] = {}
    for index, url in enumerate(linkedin_urls):
        try:
            profile = _ok(profiles[url])
            ready[index] = (profile, derive.derive_core(profile))
        except Exception as err:  # this person's data, not the set's SQL
            errors[index] = err
    ids = companies.upsert_identified_many(conn, records=[c.companies for _, c in ready.values()])
    done = {
        index: Prepared(linkedin_urls[index], profile, core, company_ids)
        for (index, (profile, core)), company_ids in zip(ready.items(), ids, strict=True)
    }
    return [done[i] if i in done else errors[i] for i in range(len(linkedin_urls))]


def _ok(found: ProfileRecord | Exception) -> ProfileRecord:
    if isinstance(found, Exception):
        raise found
    return found


def sync_people(conn: Connection, prepared: Sequence[Prepared]) -> list[dict[str, Any]]:
    """Bring `core` in line with each prepared person; returns each job's summary.

    A constant number of statements for any number of people (`sync.sync_people`)."""
    items = [sync.ToSync(p.profile, p.core, p.company_ids) for p in prepared]
    summaries = sync.sync_people(conn, items)
    return [
        {"linkedin_url": p.linkedin_url, "stale": False, **summary}
        for p, summary in zip(prepared, summaries, strict=True)
    ]
