"""SQL for people fed by workflows: identity, per-source facts, observed jobs, e-mails.

- **Identity** (`resolve`): a person is found by normalised public LinkedIn URL, then by
  Sales Navigator member id, through `core.person_aliases` and `core.people` itself. A
  person known only by a member id is its own row (`linkedin_url = 'salesnav:<id>'`) until
  a body names both; it then takes the public URL, or is merged into the person who has it.
- **Facts** (`core.person_facts`): one value per (person, field, source workflow); replaced
  only by a newer, different observation of the same source.
- **Jobs** (`core.person_jobs`) and **e-mails** (`core.person_emails`): sets on their
  natural keys, a row replaced only by a newer, different observation.
- **The normal sync** (`refresh`): the person's golden fields (`pipeline.person_merge`), the
  extracted profile's experience rows plus the observed jobs, through `derive` and
  `sync.sync_person` like a profile; then the best e-mail. The profile chain's `sync_core`
  reads the same combined record (`profiles_for_sync`), so neither undoes the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Table,
    Text,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from pipeline import derive, person_merge, sync
from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.person_merge import EmailResult, Observation, ObservedJob
from pipeline.store import applying, companies, people
from pipeline.store.jsonrows import json_records
from pipeline.workflows import registry
from pipeline.workflows.facts import Facts
from pipeline.workflows.people_facts import PersonFacts
from schemas import canonical
from schemas.records import ProfileRecord

#: A profile URL's slug that is a Sales Navigator member id, not a public name.
_MEMBER_SLUG = re.compile(r"ac[a-z0-9_-]{20,}", re.IGNORECASE)
#: `core.people.linkedin_url` of a person known only by a Sales Navigator member id.
SALESNAV_PREFIX = "salesnav:"
#: The golden person fields, in the order the API shows them.
_FIELDS = ("full_name", "first_name", "last_name", "headline", "location_name")
#: Coalesce priority of the person-profile chain's values (lower wins).
PROFILE_PRIORITY = 1


def apply(
    conn: Connection, *, facts: Facts, source: str, raw_id: int, received_at: datetime
) -> dict[str, Any]:
    """Apply one payload's person facts and re-sync each person touched."""
    origin = {"source": source, "raw_id": raw_id, "observed_at": facts.observed_at or received_at}
    touched, flags = applying.each_identified(
        facts.people, lambda person: _apply_person(conn, person, origin)
    )
    return {"people": touched, "flags": flags}


def _apply_person(
    conn: Connection, person: PersonFacts, origin: Mapping[str, Any]
) -> applying.Touched:
    """Resolve the person, write their facts, jobs and e-mails, refresh their record."""
    person_id, flags = resolve(conn, person)
    params = {"person_id": person_id, **origin}
    applying.write_rows(conn, _UPSERT_FACTS, params, _fact_rows(person))
    applying.write_rows(conn, _UPSERT_JOBS, params, _job_rows(person))
    applying.write_rows(conn, _UPSERT_EMAILS, params, _email_rows(person))
    refresh(conn, person_id=person_id)
    url = conn.execute(
        select(t.people.c.linkedin_url).where(t.people.c.id == person_id)
    ).scalar_one()
    return {"person_id": person_id, "linkedin_url": url}, flags


# --- identity -----------------------------------------------------------------------------


def salesnav_key(member_id: str) -> str:
    return SALESNAV_PREFIX + member_id


def find(conn: Connection, *, kind: str, value: str, lock: bool = False) -> int | None:
    """The person with this public URL (`linkedin`) or member id (`salesnav`), or None;
    `lock` takes the row lock a writer needs."""
    key = value if kind == "linkedin" else salesnav_key(value)
    stmt = select(t.people.c.id).where(t.people.c.linkedin_url == key)
    found = conn.execute(stmt.with_for_update() if lock else stmt).scalar()
    if found is None:
        aliases = t.person_aliases
        found = conn.execute(
            select(aliases.c.person_id).where(aliases.c.kind == kind, aliases.c.value == value)
        ).scalar()
    return int(found) if found is not None else None


def _url_of(conn: Connection, person_id: int) -> str:
    return str(
        conn.execute(select(t.people.c.linkedin_url).where(t.people.c.id == person_id)).scalar()
    )


def resolve(conn: Connection, person: PersonFacts) -> tuple[int, list[str]]:
    """The person these identifiers name (created if none), folding a member-id-only person
    into the one with the public URL; returns its id and any flags. Idempotent."""
    flags: list[str] = []
    url, member = person.linkedin_url, person.salesnav_id
    by_url = find(conn, kind="linkedin", value=url, lock=True) if url else None
    by_id = find(conn, kind="salesnav", value=member, lock=True) if member else None
    id_only = by_id is not None and _url_of(conn, by_id).startswith(SALESNAV_PREFIX)
    if by_id is not None and person.linkedin_url and not id_only and by_id != by_url:
        flags.append("salesnav_id_conflict")  # the id belongs to someone with another URL
        by_id = None
    if by_url is not None:
        survivor = by_url
        if by_id is not None and by_id != by_url:
            merge(conn, survivor=survivor, loser=by_id)
    elif by_id is not None:
        survivor = by_id
        if person.linkedin_url:  # the member-id-only person learns their public URL
            conn.execute(
                update(t.people)
                .where(t.people.c.id == survivor)
                .values(linkedin_url=person.linkedin_url, slug=_slug(person))
            )
    else:
        survivor = _insert(conn, person)
    aliases = [("linkedin", person.linkedin_url), ("salesnav", person.salesnav_id)]
    if "salesnav_id_conflict" in flags:
        aliases = aliases[:1]
    values = [{"kind": k, "value": v, "person_id": survivor} for k, v in aliases if v]
    if values:
        conn.execute(insert(t.person_aliases).values(values).on_conflict_do_nothing())
    return survivor, flags


def _slug(person: PersonFacts) -> str:
    slug = canonical.linkedin_slug(person.linkedin_url) if person.linkedin_url else None
    return slug or person.salesnav_id or ""


def _insert(conn: Connection, person: PersonFacts) -> int:
    key = person.linkedin_url or salesnav_key(person.salesnav_id or "")
    stmt = (
        insert(t.people)
        .values(linkedin_url=key, slug=_slug(person))
        .on_conflict_do_nothing()
        .returning(t.people.c.id)
    )
    inserted = conn.execute(stmt).scalar()
    if inserted is not None:
        return int(inserted)
    return int(
        conn.execute(
            select(t.people.c.id).where(t.people.c.linkedin_url == key).with_for_update()
        ).scalar_one()
    )


_MERGE = """
UPDATE core.person_facts s
SET value = l.value, observed_at = l.observed_at, raw_payload_id = l.raw_payload_id
FROM core.person_facts l
WHERE s.person_id = :survivor AND l.person_id = :loser
  AND s.field = l.field AND s.source = l.source AND l.observed_at > s.observed_at;
DELETE FROM core.person_facts l USING core.person_facts s
WHERE l.person_id = :loser AND s.person_id = :survivor
  AND s.field = l.field AND s.source = l.source;
UPDATE core.person_facts SET person_id = :survivor WHERE person_id = :loser;
DELETE FROM core.person_jobs l USING core.person_jobs s
WHERE l.person_id = :loser AND s.person_id = :survivor AND s.job_key = l.job_key
  AND s.observed_at >= l.observed_at;
DELETE FROM core.person_jobs s USING core.person_jobs l
WHERE l.person_id = :loser AND s.person_id = :survivor AND s.job_key = l.job_key;
UPDATE core.person_jobs SET person_id = :survivor WHERE person_id = :loser;
DELETE FROM core.person_emails l USING core.person_emails s
WHERE l.person_id = :loser AND s.person_id = :survivor
  AND s.email = l.email AND s.provider = l.provider AND s.observed_at >= l.observed_at;
DELETE FROM core.person_emails s USING core.person_emails l
WHERE l.person_id = :loser AND s.person_id = :survivor
  AND s.email = l.email AND s.provider = l.provider;
UPDATE core.person_emails SET person_id = :survivor WHERE person_id = :loser;
UPDATE core.person_aliases SET person_id = :survivor WHERE person_id = :loser;
UPDATE core.signals SET person_id = :survivor WHERE person_id = :loser;
DELETE FROM core.people WHERE id = :loser
"""


def merge(conn: Connection, *, survivor: int, loser: int) -> None:
    """Fold person `loser` into `survivor`: every observation moves (the newer of two equal
    keys kept), the loser's derived rows go with it (the survivor's `refresh` rebuilds
    them from the merged observations, so no job appears twice)."""
    if survivor == loser:
        return
    for statement in _MERGE.split(";"):
        conn.execute(text(statement), {"survivor": survivor, "loser": loser})


# --- observations -------------------------------------------------------------------------

_UPSERT_FACTS = text(
    """
    INSERT INTO core.person_facts AS f
        (person_id, field, source, value, observed_at, raw_payload_id)
    SELECT :person_id, r.field, :source, r.value, :observed_at, :raw_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(field text, value jsonb)
    ON CONFLICT (person_id, field, source) DO UPDATE
    SET value = excluded.value, observed_at = excluded.observed_at,
        raw_payload_id = excluded.raw_payload_id, updated_at = now()
    WHERE excluded.observed_at > f.observed_at AND excluded.value IS DISTINCT FROM f.value
    """
)


def _fact_rows(person: PersonFacts) -> list[dict[str, Any]]:
    return [{"field": k, "value": v} for k, v in sorted(person.fields.items())]


#: Bound once per call; every other column of an observation table comes from the JSON
#: rows, so the column lists follow `pipeline/tables.py`.
_PER_CALL = {
    "person_id": "person_id",
    "source": "source",
    "observed_at": "observed_at",
    "raw_payload_id": "raw_id",
}


def _observations_insert(table: Table) -> Any:
    """INSERT INTO table (every column) SELECT the per-call values and each JSON row's."""
    per_row = [c for c in table.columns if c.name not in _PER_CALL]
    rows = json_records(per_row, "rows")
    values = [
        bindparam(_PER_CALL[c.name], type_=c.type) if c.name in _PER_CALL else rows.c[c.name]
        for c in table.columns
    ]
    return insert(table).from_select([c.name for c in table.columns], select(*values))


def _upsert_jobs_statement() -> Any:
    """A newer observation of a job fills what it knows and keeps what it does not (a
    start precision goes with its date); it writes only when that adds or changes
    something. A new column is merged like the others: coalesce(new, stored)."""
    j = t.person_jobs
    stmt = _observations_insert(j)
    new = stmt.excluded
    merged: dict[str, Any] = {
        c.name: func.coalesce(new[c.name], c)
        for c in j.columns
        if c.name not in _PER_CALL and c.name != "job_key"
    }
    merged["is_current"] = new.is_current
    merged["start_precision"] = case(
        (new.start_date.is_(None), j.c.start_precision), else_=new.start_precision
    )
    compared = [n for n in merged if n != "start_precision"]
    changes = tuple_(*(merged[n] for n in compared)).is_distinct_from(
        tuple_(*(j.c[n] for n in compared))
    )
    return stmt.on_conflict_do_update(
        index_elements=["person_id", "job_key"],
        set_={
            **merged,
            "source": new.source,
            "observed_at": new.observed_at,
            "raw_payload_id": new.raw_payload_id,
        },
        where=(new.observed_at > j.c.observed_at) & changes,
    )


_UPSERT_JOBS = _upsert_jobs_statement()


def _job_rows(person: PersonFacts) -> list[dict[str, Any]]:
    """One row a job (the last of those with one key), in key order."""
    rows = {}
    for job in person.jobs:
        key = person_merge.job_key(job.company_domain, job.company_name, job.title)
        rows[key] = {
            "job_key": key,
            "company_name": job.company_name,
            "company_domain": job.company_domain,
            "company_linkedin_url": job.company_linkedin_url,
            "title": job.title,
            "start_date": job.start.value.isoformat() if job.start else None,
            "start_precision": job.start.precision if job.start else None,
            "supersedes": job.supersedes,
            "is_current": job.current,
        }
    return [rows[k] for k in sorted(rows)]


def _upsert_emails_statement() -> Any:
    """Insert each (address, provider) result; a newer one that changes something replaces
    the stored one. The JSON rows carry every column but the per-call ones, so the column
    lists follow `tables.person_emails`."""
    e = t.person_emails
    per_row = [c for c in e.columns if c.name not in _PER_CALL]
    stmt = _observations_insert(e)
    new = stmt.excluded
    result = [c.name for c in per_row if c.name not in ("email", "provider")]
    changes = tuple_(*(new[n] for n in result)).is_distinct_from(tuple_(*(e.c[n] for n in result)))
    return stmt.on_conflict_do_update(
        index_elements=["person_id", "email", "provider"],
        set_={n: new[n] for n in [*result, "source", "observed_at", "raw_payload_id"]},
        where=(new.observed_at > e.c.observed_at) & changes,
    )


_UPSERT_EMAILS = _upsert_emails_statement()


def _email_rows(person: PersonFacts) -> list[dict[str, Any]]:
    """One row an (address, provider) (the last result), in that order."""
    rows = {(e.email, e.provider): e.model_dump(mode="json") for e in person.emails}
    return [rows[k] for k in sorted(rows)]


# --- the normal sync ----------------------------------------------------------------------


def priorities(conn: Connection, sources: Iterable[str]) -> dict[str, int]:
    """Each source's coalesce priority: its registry row's, else its definition's."""
    wanted = sorted(set(sources))
    if not wanted:
        return {}
    reg = t.enrichment_workflow_registry
    rows = conn.execute(
        select(reg.c.workflow_slug, reg.c.priority, reg.c.definition).where(
            reg.c.workflow_slug.in_(wanted)
        )
    ).all()
    found = {slug: registry.priority(priority, name) for slug, priority, name in rows}
    return {s: found.get(s, registry.UNREGISTERED_PRIORITY) for s in wanted}


def observations(conn: Connection, person_id: int, linkedin_url: str) -> list[Observation]:
    """Every source's value of every golden field, the extracted profile's included."""
    facts = t.person_facts
    rows = conn.execute(
        select(facts.c.field, facts.c.value, facts.c.source, facts.c.observed_at).where(
            facts.c.person_id == person_id
        )
    ).all()
    ranks = priorities(conn, (r.source for r in rows))
    found = [Observation(r.field, r.value, r.source, r.observed_at, ranks[r.source]) for r in rows]
    profile = conn.execute(
        select(t.person_profile).where(t.person_profile.c.linkedin_url == linkedin_url)
    ).first()
    if profile is not None:
        p = profile._mapping
        when = p["refreshed_at"] or p["extracted_at"]
        for field in _FIELDS:
            found.append(Observation(field, p[field], p["workflow_slug"], when, PROFILE_PRIORITY))
    return found


def _observed_jobs(conn: Connection, person_id: int) -> list[ObservedJob]:
    jobs = t.person_jobs
    rows = conn.execute(select(jobs).where(jobs.c.person_id == person_id)).all()
    return [
        ObservedJob(
            company_name=r.company_name,
            company_domain=r.company_domain,
            company_linkedin_url=r.company_linkedin_url,
            title=r.title,
            start=person_merge.partial(r.start_date, r.start_precision),
            supersedes=r.supersedes,
            observed_at=r.observed_at,
            is_current=r.is_current,
        )
        for r in rows
    ]


def combined_profile(conn: Connection, *, person_id: int) -> ProfileRecord:
    """The person as every source sees it, shaped as a profile for `derive` and `sync`."""
    url = _url_of(conn, person_id)
    stored = _stored_profile(conn, url)
    won = person_merge.golden(observations(conn, person_id, url))
    values = person_merge.as_mapping(won)
    jobs = _observed_jobs(conn, person_id)
    experiences = person_merge.combine_jobs(
        stored.experiences if stored else (),
        jobs,
        refreshed_at=stored.refreshed_at if stored else None,
    )
    location = won.get("location_name")
    profile_location = (
        stored is not None
        and location is not None
        and (location.priority == PROFILE_PRIORITY and location.value == stored.location_name)
    )
    base: dict[str, Any] = stored.model_dump() if stored else {"shape": "clay"}
    if not profile_location:
        base |= {"city": None, "state": None, "country": None, "country_code": None}
    base |= {
        "linkedin_url": url,
        "slug": (stored.slug if stored else None)
        or canonical.linkedin_slug(url)
        or url.removeprefix(SALESNAV_PREFIX),
        **{f: values.get(f) for f in _FIELDS},
        "experiences": experiences,
    }
    return ProfileRecord.model_validate(base)


def _stored_profile(conn: Connection, linkedin_url: str) -> ProfileRecord | None:
    """The extracted profile of a public URL, if the profile chain has one."""
    if linkedin_url.startswith(SALESNAV_PREFIX):
        return None
    try:
        return people.load_profile(conn, linkedin_url=linkedin_url)
    except MissingRecordError:
        return None


def _observed_statement() -> Any:
    people, urls = t.people, bindparam("urls", type_=ARRAY(Text))
    observed = [
        select(table.c.person_id).where(table.c.person_id == people.c.id).exists()
        for table in (t.person_facts, t.person_jobs)
    ]
    return select(people.c.linkedin_url, people.c.id).where(
        people.c.linkedin_url == any_(urls), or_(*observed)
    )


#: The people among some URLs whom workflows observed (facts or jobs), with their ids.
_OBSERVED = _observed_statement()


def profiles_for_sync(
    conn: Connection, *, linkedin_urls: Sequence[str]
) -> dict[str, ProfileRecord | Exception]:
    """What the profile chain's `sync_core` syncs, by URL: the extracted profile, plus what
    workflows observed about the person when they did (else the profile unchanged).

    Four statements for any number of people who were not observed (the common case); an
    observed person's combined record is read per person. A person with neither has a
    `MissingRecordError` in their place.
    """
    wanted = sorted(set(linkedin_urls))
    if not wanted:
        return {}
    observed = {url: int(pid) for url, pid in conn.execute(_OBSERVED, {"urls": wanted})}
    plain = people.load_profiles(conn, linkedin_urls=[u for u in wanted if u not in observed])
    found: dict[str, ProfileRecord | Exception] = {}
    for url in wanted:
        if url in observed:
            try:
                found[url] = combined_profile(conn, person_id=observed[url])
            except (MissingRecordError, ValidationError) as err:  # this person's data
                found[url] = err
        else:
            found[url] = plain.get(url) or people.missing_profile(url)
    return found


def refresh(conn: Connection, *, person_id: int) -> dict[str, Any]:
    """Re-derive the person's core rows from every observation, then the best e-mail."""
    conn.execute(select(t.people.c.id).where(t.people.c.id == person_id).with_for_update())
    profile = combined_profile(conn, person_id=person_id)
    core = derive.derive_core(profile)
    company_ids = companies.upsert_identified(conn, records=core.companies)
    summary = sync.sync_person(conn, profile=profile, core=core, company_ids=company_ids)
    choice = person_merge.email_summary(email_results(conn, person_id=person_id))
    conn.execute(
        update(t.people)
        .where(t.people.c.id == person_id)
        .values(email=choice["email"] if choice else None, email_choice=choice)
    )
    return summary


def email_results(conn: Connection, *, person_id: int) -> list[EmailResult]:
    """The person's e-mail results, each ranked by its provider's priority."""
    emails = t.person_emails
    rows = conn.execute(select(emails).where(emails.c.person_id == person_id)).all()
    rank = person_merge.PROVIDER_PRIORITY
    return [
        EmailResult(
            r.email, r.provider, r.status, r.source, r.observed_at, rank.get(r.provider, 100)
        )
        for r in rows
    ]


# --- reading ------------------------------------------------------------------------------


def person_id_for(conn: Connection, *, linkedin_url: str) -> int | None:
    """The person a public URL names, directly or as an alias; a member-id URL
    (`/in/ACwAA…`, any case) names the person known by that Sales Navigator id."""
    found = find(conn, kind="linkedin", value=linkedin_url)
    slug = linkedin_url.rstrip("/").rsplit("/", 1)[-1]
    if found is None and _MEMBER_SLUG.fullmatch(slug):
        aliases = t.person_aliases
        found = conn.execute(
            select(aliases.c.person_id).where(
                aliases.c.kind == "salesnav", func.lower(aliases.c.value) == slug.lower()
            )
        ).scalar()
    return int(found) if found is not None else None


def provenance(conn: Connection, *, person_id: int, linkedin_url: str) -> dict[str, Any]:
    """Per golden field: the source it came from and when it was observed."""
    won = person_merge.golden(observations(conn, person_id, linkedin_url))
    return {
        field: {"source": obs.source, "observed_at": obs.observed_at.isoformat()}
        for field, obs in sorted(won.items())
    }


def emails_view(conn: Connection, *, person_id: int) -> list[dict[str, Any]]:
    """Every provider's result for the person, best status first, then newest."""
    emails = t.person_emails
    rows = conn.execute(
        select(emails).where(emails.c.person_id == person_id).order_by(emails.c.email)
    ).all()
    found = [
        {
            "email": r.email,
            "provider": r.provider,
            "status": r.status,
            "raw_status": r.raw_status,
            "certainty": r.certainty,
            "catch_all": r.catch_all,
            "mx_provider": r.mx_provider,
            "mx_records": list(r.mx_records),
            "source": r.source,
            "observed_at": r.observed_at,
        }
        for r in rows
    ]
    rank = person_merge.EMAIL_RANK
    found.sort(key=lambda e: (rank.get(e["status"], 9), -e["observed_at"].timestamp()))
    return found
