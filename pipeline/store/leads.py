"""SQL for client leads: raw lead payloads, `client.leads`, people and companies per client.

`client.leads` keeps one row per submission (unique per job, so a replay adds nothing).
`client.leads_people` and `client.leads_companies` keep one row per client and key; a
submission updates them only when it is at least as new as what they hold (by submission
time), so leads delivered out of order never put older details over newer ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert

from pipeline import jsoncodec
from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.leads import LinkKeys
from pipeline.store import persons
from schemas.records import LeadRecord

_PERSON_FIELDS = (
    "email linkedin_url first_name last_name full_name job_title seniority function company_domain"
).split()
_COMPANY_FIELDS = "company_name company_size company_industry company_linkedin_url".split()


def insert_lead_payload(
    conn: Connection, *, job_id: str, client_domain: str, raw_payload: Mapping[str, Any]
) -> int:
    """Keep a lead exactly as received; a second call for the same job returns the same id."""
    table = t.client_lead_payloads
    stmt = (
        insert(table)
        .values(
            job_id=job_id,
            client_domain=client_domain,
            raw_payload=raw_payload,
            raw_text=jsoncodec.exact_text(raw_payload),
        )
        .on_conflict_do_update(
            index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
        )
        .returning(table.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def load_lead_payload(conn: Connection, *, raw_id: int) -> RowMapping:
    """The raw lead a stage works from; `MissingRecordError` if it is gone."""
    table = t.client_lead_payloads
    row = conn.execute(select(table).where(table.c.id == raw_id)).first()
    if row is None:
        raise MissingRecordError(f"raw.client_lead_payloads id={raw_id} does not exist")
    return row._mapping


def lead_job_client_domain(conn: Connection, *, job_id: str) -> str | None:
    """The client a lead job was stored for (None: not a lead job, or not stored yet)."""
    table = t.client_lead_payloads
    stmt = select(table.c.client_domain).where(table.c.job_id == job_id)
    return conn.execute(stmt).scalar_one_or_none()


def insert_lead(
    conn: Connection, *, job_id: str, raw_id: int, lead: LeadRecord
) -> tuple[int, bool]:
    """Insert the submission; returns its id and False when the job's lead was already there."""
    table = t.leads
    stmt = (
        insert(table)
        .values(job_id=job_id, raw_payload_id=raw_id, **lead.model_dump())
        .on_conflict_do_update(
            index_elements=["job_id"], set_={"job_id": literal_column("excluded.job_id")}
        )
        .returning(table.c.id, literal_column("xmax = 0"))
    )
    lead_id, created = conn.execute(stmt).one()
    return int(lead_id), bool(created)


def upsert_lead_person(conn: Connection, *, lead: LeadRecord, seen_at: datetime) -> None:
    """Count the submission against the client's person; newer details win, gaps are filled."""
    _upsert_seen(conn, t.leads_people, "person_key", _PERSON_FIELDS, lead=lead, seen_at=seen_at)


def upsert_lead_company(conn: Connection, *, lead: LeadRecord, seen_at: datetime) -> None:
    """Count the submission against the client's company (by normalised domain)."""
    _upsert_seen(
        conn, t.leads_companies, "company_domain", _COMPANY_FIELDS, lead=lead, seen_at=seen_at
    )


def _upsert_seen(
    conn: Connection,
    table: Table,
    key: str,
    fields: Sequence[str],
    *,
    lead: LeadRecord,
    seen_at: datetime,
) -> None:
    """Upsert the lead's `fields` into the client's row for its `key`; no key, no row."""
    value = getattr(lead, key)
    if value is None:
        return
    keys = {"client_domain": lead.client_domain, key: value}
    values = {f: getattr(lead, f) for f in fields}
    stmt = insert(table).values(
        **keys, **values, lead_count=1, first_seen_at=seen_at, last_seen_at=seen_at
    )
    newer = stmt.excluded.last_seen_at >= table.c.last_seen_at
    merged = {
        f: case(
            (newer, func.coalesce(stmt.excluded[f], table.c[f])),
            else_=func.coalesce(table.c[f], stmt.excluded[f]),
        )
        for f in values
    }
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                **merged,
                "lead_count": table.c.lead_count + 1,
                "first_seen_at": func.least(table.c.first_seen_at, stmt.excluded.first_seen_at),
                "last_seen_at": func.greatest(table.c.last_seen_at, stmt.excluded.last_seen_at),
            },
        )
    )


# --- reads ------------------------------------------------------------------------------

#: A position in the newest-first order of a client's leads: (sort time, lead id).
Cursor = tuple[datetime, int]


def leads_page(
    conn: Connection, *, client_domain: str, limit: int, before: Cursor | None = None
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """Up to `limit` leads older than `before`, newest first, and the cursor after them."""
    table = t.leads
    sort_at = func.coalesce(table.c.submitted_at, table.c.created_at)
    stmt = select(table, sort_at.label("sort_at")).where(table.c.client_domain == client_domain)
    if before is not None:
        stmt = stmt.where(tuple_(sort_at, table.c.id) < tuple_(literal(before[0]), before[1]))
    stmt = stmt.order_by(sort_at.desc(), table.c.id.desc()).limit(limit + 1)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1]["sort_at"], rows[-1]["id"]) if more and rows else None
    return [_lead(r) for r in rows], cursor


def _lead(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("sort_at")
    row.pop("raw_payload_id")
    row["job_id"] = str(row["job_id"])
    row["received_at"] = row.pop("created_at")
    return row


def lead_people(
    conn: Connection, *, client_domain: str, person_keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The client's people with these keys, most recently seen first."""
    return _by_keys(conn, t.leads_people, client_domain, "person_key", person_keys)


def lead_companies(
    conn: Connection, *, client_domain: str, domains: Sequence[str]
) -> list[dict[str, Any]]:
    """The client's companies with these domains, most recently seen first."""
    return _by_keys(conn, t.leads_companies, client_domain, "company_domain", domains)


def _by_keys(
    conn: Connection, table: Table, client_domain: str, column: str, keys: Sequence[str]
) -> list[dict[str, Any]]:
    if not keys:
        return []
    stmt = (
        select(*[c for c in table.c if c.name not in ("id", "client_domain")])
        .where(table.c.client_domain == client_domain, table.c[column].in_(sorted(set(keys))))
        .order_by(table.c.last_seen_at.desc(), table.c[column])
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def lead_counts(conn: Connection, *, client_domain: str) -> dict[str, int]:
    """How many leads, people and companies the client has in all."""
    counts = {}
    for name, table in (
        ("leads", t.leads),
        ("people", t.leads_people),
        ("companies", t.leads_companies),
    ):
        stmt = select(func.count()).where(table.c.client_domain == client_domain)
        counts[name] = int(conn.execute(stmt).scalar_one())
    return counts


# --- links to the golden records ----------------------------------------------------------
#
# A link is kept by key (`client.lead_links`: the client's person key with its e-mail and
# LinkedIn URL, the company's domain), with the golden id found when it was linked. A read
# takes the stored id, else looks the keys up again, so a person or company created (or
# merged) after the link is found without linking again; linking again stores the id.


def link_leads(conn: Connection, *, job_id: str, keys: Sequence[LinkKeys]) -> list[dict[str, Any]]:
    """Link leads of one client: resolve every key at once, upsert each person and company
    link once (a row that would stay the same is not written), count the client's leads
    each lead's keys reach. One item per lead, in order."""
    if not keys:
        return []
    client_domain = keys[0].client_domain
    person_links: dict[str, dict[str, Any]] = {}
    for k in keys:
        if k.person_key:
            known = person_links.setdefault(k.person_key, {"link_key": k.person_key})
            for name in ("email", "linkedin_url"):
                known[name] = known.get(name) or getattr(k, name)
    domains = sorted({k.company_domain for k in keys if k.company_domain})
    person_ids = _people_by_keys(conn, list(person_links.values()))
    for key, link in person_links.items():  # a member-id URL, known only to the identity
        if key not in person_ids and link["linkedin_url"]:
            if found := persons.person_id_for(conn, linkedin_url=link["linkedin_url"]):
                person_ids[key] = found
    company_ids = _companies_by_domain(conn, domains)
    person_rows = [{**link, "person_id": person_ids.get(key)} for key, link in person_links.items()]
    company_rows = [{"link_key": d, "company_id": company_ids.get(d)} for d in domains]
    changed = _upsert_links(conn, client_domain, "person", person_rows, job_id)
    changed |= _upsert_links(conn, client_domain, "company", company_rows, job_id)
    reached = _reached(conn, client_domain, person_links.keys(), domains)
    return [
        {
            "person_key": k.person_key,
            "company_domain": k.company_domain,
            "person_id": person_ids.get(k.person_key) if k.person_key else None,
            "company_id": company_ids.get(k.company_domain) if k.company_domain else None,
            "leads": sum(
                1
                for pk, cd in reached
                if (k.person_key and pk == k.person_key)
                or (k.company_domain and cd == k.company_domain)
            ),
            "changed": ("person", k.person_key) in changed
            or ("company", k.company_domain) in changed,
        }
        for k in keys
    ]


def _upsert_links(
    conn: Connection,
    client_domain: str,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    job_id: str,
) -> set[tuple[str, str]]:
    """Insert or update links (one per key); a value not found now keeps the one stored.
    Returns (kind, key) of the rows written (new, or a key or id they did not have)."""
    if not rows:
        return set()
    table = t.lead_links
    names = [n for n in rows[0] if n != "link_key"]
    stmt = insert(table).values(
        [{"client_domain": client_domain, "kind": kind, "job_id": job_id, **r} for r in rows]
    )
    merged = {name: func.coalesce(stmt.excluded[name], table.c[name]) for name in names}
    differs = tuple_(*merged.values()).is_distinct_from(tuple_(*(table.c[n] for n in names)))
    upsert: Any = stmt.on_conflict_do_update(
        index_elements=["client_domain", "kind", "link_key"],
        set_={**merged, "job_id": stmt.excluded.job_id, "updated_at": func.now()},
        where=differs,
    ).returning(table.c.link_key)
    return {(kind, key) for key in conn.execute(upsert).scalars()}


def _reached(
    conn: Connection, client_domain: str, person_keys: Iterable[str], domains: Sequence[str]
) -> list[tuple[str | None, str | None]]:
    """(person key, company domain) of the client's leads these keys name (one pass)."""
    leads = t.leads
    named = [leads.c.person_key.in_(sorted(person_keys)), leads.c.company_domain.in_(domains)]
    stmt = select(leads.c.person_key, leads.c.company_domain).where(
        leads.c.client_domain == client_domain, or_(*named)
    )
    return [(pk, cd) for pk, cd in conn.execute(stmt).all()]


def lead_golden(
    conn: Connection, *, client_domain: str, person_keys: Sequence[str], domains: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The golden person of each linked person key and company of each linked domain."""
    table = t.lead_links
    stmt = select(table).where(
        table.c.client_domain == client_domain,
        ((table.c.kind == "person") & table.c.link_key.in_(sorted(set(person_keys))))
        | ((table.c.kind == "company") & table.c.link_key.in_(sorted(set(domains)))),
    )
    links = conn.execute(stmt).mappings().all()
    person_links = [link for link in links if link["kind"] == "person"]
    company_links = [link for link in links if link["kind"] == "company"]
    person_ids = _people_by_keys(conn, [link for link in person_links if not link["person_id"]])
    person_ids |= {
        link["link_key"]: link["person_id"] for link in person_links if link["person_id"]
    }
    company_ids = _companies_by_domain(
        conn, [link["link_key"] for link in company_links if not link["company_id"]]
    )
    company_ids |= {
        link["link_key"]: link["company_id"] for link in company_links if link["company_id"]
    }
    people, firms = t.people, t.companies
    person_rows = _rows_by_id(
        conn, people, [people.c.linkedin_url, people.c.full_name, people.c.email], person_ids
    )
    company_rows = _rows_by_id(
        conn,
        firms,
        [firms.c.domain, firms.c.name, firms.c.linkedin_url, firms.c.industry],
        company_ids,
    )
    golden_people: dict[str, dict[str, Any]] = {}
    golden_companies: dict[str, dict[str, Any]] = {}
    for link in links:
        key = link["link_key"]
        if link["kind"] == "person":
            found = person_ids.get(key)
            golden_people[key] = {
                "person_id": found,
                "linked_at": link["linked_at"],
                **person_rows.get(found or 0, {}),
            }
        else:
            found = company_ids.get(key)
            golden_companies[key] = {
                "company_id": found,
                "linked_at": link["linked_at"],
                **company_rows.get(found or 0, {}),
            }
    return golden_people, golden_companies


def _rows_by_id(
    conn: Connection, table: Table, columns: Sequence[Any], ids: Mapping[str, int | None]
) -> dict[int, dict[str, Any]]:
    wanted = sorted({i for i in ids.values() if i is not None})
    if not wanted:
        return {}
    stmt = select(table.c.id, *columns).where(table.c.id.in_(wanted))
    rows = {row["id"]: dict(row) for row in conn.execute(stmt).mappings()}
    return {found: {k: v for k, v in row.items() if k != "id"} for found, row in rows.items()}


def _people_by_keys(conn: Connection, links: Sequence[Mapping[Any, Any]]) -> dict[str, int]:
    """The golden person of each link key, in three statements: by public LinkedIn URL, by
    its alias, else by e-mail (`core.person_emails`, indexed; the person whose best e-mail it
    is first). A member-id URL is found only when linking (`persons.person_id_for`)."""
    people, aliases, emails = t.people, t.person_aliases, t.person_emails
    urls = {link["linkedin_url"] for link in links if link["linkedin_url"]}
    by_url: dict[str, int] = {}
    if urls:
        stmt = select(people.c.linkedin_url, people.c.id).where(people.c.linkedin_url.in_(urls))
        by_url = {url: pid for url, pid in conn.execute(stmt).all()}
    if missing := urls - by_url.keys():
        stmt = select(aliases.c.value, aliases.c.person_id).where(
            aliases.c.kind == "linkedin", aliases.c.value.in_(missing)
        )
        by_url |= {url: pid for url, pid in conn.execute(stmt).all()}
    found = {
        link["link_key"]: by_url[link["linkedin_url"]]
        for link in links
        if link["linkedin_url"] in by_url
    }
    wanted = {link["email"] for link in links if link["email"] and link["link_key"] not in found}
    if wanted:
        stmt = (
            select(emails.c.email, emails.c.person_id)
            .join(people, people.c.id == emails.c.person_id)
            .where(emails.c.email.in_(wanted))
            .order_by(
                emails.c.email,
                (people.c.email == emails.c.email).desc(),
                emails.c.status == "invalid",
                people.c.id,
            )
            .ext(distinct_on(emails.c.email))
        )
        by_email = {email: pid for email, pid in conn.execute(stmt).all()}
        found |= {
            link["link_key"]: by_email[link["email"]]
            for link in links
            if link["link_key"] not in found and link["email"] in by_email
        }
    return found


def _companies_by_domain(conn: Connection, domains: Sequence[str]) -> dict[str, int]:
    """`companies.find_by_domain` for many domains in two statements."""
    if not domains:
        return {}
    firms, aliases = t.companies, t.company_aliases
    stmt = select(firms.c.domain, firms.c.id).where(firms.c.domain.in_(set(domains)))
    found: dict[str, int] = {d: cid for d, cid in conn.execute(stmt).all() if d}
    if missing := set(domains) - found.keys():
        stmt = select(aliases.c.value, aliases.c.company_id).where(
            aliases.c.kind == "domain", aliases.c.value.in_(missing)
        )
        found |= {d: cid for d, cid in conn.execute(stmt).all()}
    return found
