"""SQL for signals: one row per real event per client (`core.signals`), and their listing.

A signal is unique on (client_domain, kind, signal_key); a re-fire of the same event finds
its row and changes it only when it says something new and is a newer observation. The
person it is about is found by the aliases `pipeline.store.persons` keeps (the person sink
runs first, so they exist); the company is resolved like any company fact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select, text

from pipeline import tables as t
from pipeline.store import companies, persons
from pipeline.workflows.facts import CompanyFacts, Facts
from pipeline.workflows.people_facts import SignalFacts

_UPSERT = text(
    """
    INSERT INTO core.signals AS s (
        client_domain, kind, signal_key, person_id, company_id, person_linkedin_url,
        company_domain, company_name, title, occurred_on, occurred_precision, occurred_at,
        details, source, observed_at, raw_payload_id)
    VALUES (
        :client_domain, :kind, :signal_key, :person_id, :company_id, :person_linkedin_url,
        :company_domain, :company_name, :title, :occurred_on, :occurred_precision,
        :occurred_at, CAST(:details AS jsonb), :source, :observed_at, :raw_id)
    ON CONFLICT (client_domain, kind, signal_key) DO UPDATE
    SET person_id = coalesce(excluded.person_id, s.person_id),
        company_id = coalesce(excluded.company_id, s.company_id),
        person_linkedin_url = coalesce(excluded.person_linkedin_url, s.person_linkedin_url),
        company_domain = coalesce(excluded.company_domain, s.company_domain),
        company_name = coalesce(excluded.company_name, s.company_name),
        title = coalesce(excluded.title, s.title),
        occurred_on = coalesce(excluded.occurred_on, s.occurred_on),
        occurred_precision = CASE WHEN excluded.occurred_on IS NULL THEN s.occurred_precision
                                  ELSE excluded.occurred_precision END,
        occurred_at = coalesce(excluded.occurred_at, s.occurred_at),
        details = s.details || excluded.details,
        source = excluded.source, observed_at = excluded.observed_at,
        raw_payload_id = excluded.raw_payload_id
    WHERE excluded.observed_at > s.observed_at
      AND (excluded.person_id, excluded.company_id, excluded.title, excluded.occurred_on,
           excluded.occurred_at, s.details || excluded.details)
          IS DISTINCT FROM (s.person_id, s.company_id, s.title, s.occurred_on,
           s.occurred_at, s.details)
    RETURNING s.id
    """
)


def apply(
    conn: Connection, *, facts: Facts, source: str, raw_id: int, received_at: datetime
) -> dict[str, Any]:
    """Record each event once per client; returns the signal ids touched."""
    observed_at = facts.observed_at or received_at
    ids: list[int] = []
    for signal in facts.signals:
        if not signal.identified:
            continue
        person_id = _person(conn, signal)
        company_id = _company(conn, signal)
        values = {
            "client_domain": signal.client_domain,
            "kind": signal.kind,
            "signal_key": signal.key,
            "person_id": person_id,
            "company_id": company_id,
            "person_linkedin_url": signal.person_linkedin_url,
            "company_domain": signal.company_domain,
            "company_name": signal.company_name,
            "title": signal.title,
            "occurred_on": signal.occurred_on.value if signal.occurred_on else None,
            "occurred_precision": signal.occurred_on.precision if signal.occurred_on else None,
            "occurred_at": signal.occurred_at,
            "details": orjson.dumps(signal.details).decode(),
            "source": source,
            "observed_at": observed_at,
            "raw_id": raw_id,
        }
        found = conn.execute(_UPSERT, values).scalar()
        if found is None:
            found = conn.execute(
                select(t.signals.c.id).where(
                    t.signals.c.client_domain == signal.client_domain,
                    t.signals.c.kind == signal.kind,
                    t.signals.c.signal_key == signal.key,
                )
            ).scalar_one()
        ids.append(int(found))
    return {"signals": ids}


def _person(conn: Connection, signal: SignalFacts) -> int | None:
    if signal.person_linkedin_url:
        found = persons.find(conn, kind="linkedin", value=signal.person_linkedin_url)
        if found is not None:
            return found
    if signal.person_salesnav_id:
        return persons.find(conn, kind="salesnav", value=signal.person_salesnav_id)
    return None


def _company(conn: Connection, signal: SignalFacts) -> int | None:
    company = CompanyFacts(
        domain=signal.company_domain,
        linkedin_url=signal.company_linkedin_url,
        name=signal.company_name,
    )
    if not (company.domain or company.linkedin_url):
        return None  # a name alone is too weak to create a company from
    company_id, _merged = companies.resolve(conn, company)
    return company_id


def listing(
    conn: Connection,
    *,
    client_domain: str | None,
    kind: str | None,
    since: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Signals newest first, filtered by client (None: every client), kind and time."""
    s = t.signals
    stmt = select(s).order_by(s.c.created_at.desc(), s.c.id.desc()).limit(limit)
    if client_domain is not None:
        stmt = stmt.where(s.c.client_domain == client_domain)
    if kind is not None:
        stmt = stmt.where(s.c.kind == kind)
    if since is not None:
        stmt = stmt.where(s.c.created_at >= since)
    rows = conn.execute(stmt).mappings().all()
    return [
        {k: v for k, v in row.items() if k not in ("raw_payload_id", "person_id", "company_id")}
        for row in rows
    ]
